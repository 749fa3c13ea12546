"""JSON logs that carry the request id, and the trace and span ids inside a span.

The request id lives in a context variable set by the observability middleware (or by an event
consumer, from the event's correlation id), so every log line written while handling a request or an
event carries it without being passed around.
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from common import telemetry

__all__ = ["configure_logging", "new_request_id", "request_id_var"]

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

#: Keys whose values never reach a log line, wherever they appear in ``extra``.
_REDACTED = frozenset(
    {
        "password",
        "new_password",
        "current_password",
        "token",
        "refresh_token",
        "access_token",
        "authorization",
        "cookie",
        "secret",
    }
)


def new_request_id() -> str:
    return uuid.uuid4().hex


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = request_id_var.get()
        ids = telemetry.current_ids()  # None at once while tracing is off
        if ids is not None:
            record.trace_id, record.span_id = ids
        for key in _REDACTED & record.__dict__.keys():
            setattr(record, key, "[redacted]")
        return True


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send every log record, ours and the libraries', to stdout as one JSON object a line."""
    handler = logging.StreamHandler(sys.stdout)
    fmt: Any = JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(request_id)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
    )
    handler.setFormatter(fmt)
    handler.addFilter(_ContextFilter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own access log is replaced by ours (with request id, route and duration).
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for noisy in ("aio_pika", "aiormq", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))

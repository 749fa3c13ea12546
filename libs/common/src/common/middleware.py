"""Pure-ASGI middleware: request id, access log and HTTP metrics in one pass."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.logging import new_request_id, request_id_var
from common.metrics import HTTP_LATENCY, HTTP_REQUESTS

__all__ = ["REQUEST_ID_HEADER", "ObservabilityMiddleware"]

REQUEST_ID_HEADER = "x-request-id"
_MAX_REQUEST_ID = 128
access_log = logging.getLogger("access")


def _route_template(scope: Scope) -> str:
    """The matched route's path template (set by Starlette's router), so metrics stay low-cardinality."""
    return str(getattr(scope.get("route"), "path", "unmatched"))


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        request_id = incoming.decode("latin-1")[:_MAX_REQUEST_ID] if incoming else new_request_id()
        token = request_id_var.set(request_id)
        status = 500
        start = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = _route_template(scope)
            if route != "/metrics":
                HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
                HTTP_LATENCY.labels(self.service, scope["method"], route).observe(elapsed)
            if not route.startswith("/health"):
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)

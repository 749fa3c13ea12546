"""The whole native stack, started once per test run on its own ports and databases.

Shared by the end-to-end, security and fuzzing suites under tests/ (the fault suite starts its own).
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from common.testing import TEST_AMQP_URL, delete_topology, machine_lock

ROOT = Path(__file__).resolve().parents[1]


def _load_stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("native_stack", ROOT / "deploy/native/stack.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["native_stack"] = module
    spec.loader.exec_module(module)
    return module


stack_module = _load_stack()


class MailCatcher:
    """The stack's mail catcher (deploy/native/mailcatcher.py), read through its own JSON API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def to(self, address: str) -> list[dict[str, Any]]:
        """Messages to ``address``, newest first: id, from, to, subject, date, text."""
        response = httpx.get(f"{self.url}/api/messages", params={"to": address}, timeout=5)
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return messages

    def wait_for(self, address: str, subject: str, within: float = 20.0) -> dict[str, Any]:
        """The newest message to ``address`` whose subject contains ``subject`` (case-insensitive)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.to(address):
                if subject.lower() in message["subject"].lower():
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail about {subject!r} reached {address} within {within:.0f}s")


@pytest.fixture(scope="session")
def mail_catcher(stack: Any) -> MailCatcher:
    return MailCatcher(stack.config.mail_url)


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


class OtlpReceiver:
    """An OTLP/HTTP trace receiver on a loopback port: what the stack's processes export, decoded.

    Each span is a dict: ``service``, ``name``, ``kind`` (the proto's number: 2 server, 3 client,
    4 producer, 5 consumer), ``trace_id``, ``span_id``, ``parent_span_id`` (hex, "" for a root),
    ``attributes``, ``links`` (``(trace_id, span_id)`` pairs) and ``resource`` (its attributes).
    """

    def __init__(self) -> None:
        self.spans: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self._body()
                if self.path != "/v1/traces" or "protobuf" not in self.headers.get("Content-Type", ""):
                    self.send_response(415)
                    self.end_headers()
                    return
                receiver._add(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def _body(self) -> bytes:
                """Traefik's exporter (Go) sends gzip in chunks; Python's, plain with a length."""
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while size := int(self.rfile.readline().strip() or b"0", 16):
                        body += self.rfile.read(size)
                        self.rfile.readline()  # the chunk's CRLF
                    self.rfile.readline()  # the last (empty) chunk's CRLF
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                gzipped = self.headers.get("Content-Encoding", "").lower() == "gzip"
                return gzip.decompress(body) if gzipped else body

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _add(self, request: ExportTraceServiceRequest) -> None:
        decoded = []
        for resource_spans in request.resource_spans:
            resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    decoded.append(
                        {
                            "service": resource.get("service.name"),
                            "resource": resource,
                            "name": span.name,
                            "kind": int(span.kind),
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(),
                            "attributes": {kv.key: _value(kv.value) for kv in span.attributes},
                            "links": [(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                        }
                    )
        with self._lock:
            self.spans.extend(decoded)

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.spans)

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, otlp_receiver: OtlpReceiver) -> Iterator[object]:
    config = stack_module.StackConfig(
        gateway_port=18000,
        ports={"auth": 18001, "posts": 18002, "votes": 18003, "worker": 18004},
        db_suffix="_e2e",
        events_prefix="e2e.",
        redis_url="redis://127.0.0.1:6379/14",
        environment="test",
        keys_dir=tmp_path_factory.mktemp("keys"),
        log_dir=ROOT / ".dev" / "logs" / "e2e",
        extra_env={
            "MEDIA_DIR": str(tmp_path_factory.mktemp("media")),
            # Mail jobs retry quickly here, so a test waits seconds, not minutes.
            "JOB_RETRY_BASE_SECONDS": "0.5",
            # No abuse limit is raised here: the security suite checks them as configured through the
            # gateway. Tests that sign up or in do it from loopback addresses of their own
            # (127.0.0.x), as the per-address limits (20 sign-ups an hour) would otherwise add up.
            # Traces on, every one kept, to the suite's own receiver (tests/e2e/test_tracing.py); the
            # stack's default is off. Exported every 100 ms so a test waits little.
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.endpoint,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "1.0",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        },
    )
    with machine_lock("e2e-stack"):  # another checkout's run would drop these databases mid-run
        yield from _start_stack(config)


def _start_stack(config: Any) -> Iterator[object]:
    # Every run starts from nothing: databases, queued events and Redis state (rate-limit counters).
    for name in stack_module.SERVICES:
        stack_module._run([sys.executable, "-c", _DROP, config.database_url(name)])
    asyncio.run(_reset_broker_and_redis(config.events_prefix, config.redis_url))
    stack_module.prepare(config)
    shutil.rmtree(stack_module.ROOT / ".dev" / "mail" / str(config.gateway_port), ignore_errors=True)
    for old in config.log_dir.glob("*.log"):  # this run's logs only (the edge tests read the gateway's)
        old.unlink()
    running = stack_module.Stack(config)
    try:  # a service that fails to start must not leave the others (or the mail catcher) running
        running.start()
        running.wait_ready(timeout=90)
        # What Traefik logged from its start until the stack was ready, before any test stopped a service.
        running.gateway_start_log = (config.log_dir / "gateway.log").read_text()
        yield running
    finally:
        running.stop()


_DROP = (
    "import asyncio, sys; from common.dbtools import drop_database; asyncio.run(drop_database(sys.argv[1]))"
)


async def _reset_broker_and_redis(prefix: str, redis_url: str) -> None:
    await delete_topology(TEST_AMQP_URL, prefix)
    async with aioredis.Redis.from_url(redis_url) as redis:
        await redis.flushdb()

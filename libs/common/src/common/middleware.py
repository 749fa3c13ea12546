"""Pure-ASGI middleware: request id, access log and HTTP metrics in one pass; hot endpoints' fast path."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from contextvars import Token

from opentelemetry import context as otel_context
from opentelemetry import trace
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common import telemetry
from common.errors import render_exception
from common.logging import new_request_id, request_id_var
from common.metrics import HTTP_LATENCY, HTTP_REQUESTS
from common.problems import REQUEST_ID_SCOPE_KEY

__all__ = ["REQUEST_ID_HEADER", "FastEndpoint", "FastPaths", "HeadAsGet", "ObservabilityMiddleware"]

#: A hot endpoint that needs nothing but the request's headers (no body, no parameters, no DI).
FastEndpoint = Callable[[Request], Awaitable[Response]]

REQUEST_ID_HEADER = "x-request-id"
_MAX_REQUEST_ID = 128
access_log = logging.getLogger("access")


def _route_template(scope: Scope) -> str:
    """The matched route's path template (set by Starlette's router), so metrics stay low-cardinality."""
    return str(getattr(scope.get("route"), "path", "unmatched"))


class _Route:
    """What metrics and logs see as the matched route of a fast path (Starlette's routes have ``path``)."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path


class FastPaths:
    """Answers a few hot ``GET`` endpoints before FastAPI's routing, dependency injection and middleware.

    For endpoints called on every request of the system (the gateway's forwardAuth check), where that
    machinery cost more than the endpoint itself. Sits inside :class:`ObservabilityMiddleware`, so
    their metrics, request id and logs are as for any route; errors are rendered by
    :func:`common.errors.render_exception`, exactly as the app's handlers would.
    """

    def __init__(self, app: ASGIApp, endpoints: Mapping[str, FastEndpoint]) -> None:
        self.app = app
        self.endpoints = dict(endpoints)
        self.routes = {path: _Route(path) for path in endpoints}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        scope["route"] = self.routes[scope["path"]]
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            response = await render_exception(request, exc)
        await response(scope, receive, send)


class HeadAsGet:
    """``HEAD`` on every ``GET`` route, as HTTP expects: the GET's status and headers, no body.

    FastAPI routes answer only the methods they declare, so a HEAD would be a 405. The request goes
    on as a GET in a copy of the scope (the server keeps its own, so it still knows not to write a
    body), and the body is dropped here too. The matched route is copied back for metrics and logs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        inner = {**scope, "method": "GET"}

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        try:
            await self.app(inner, receive, without_body)
        finally:
            if "route" in inner:
                scope["route"] = inner["route"]


class ObservabilityMiddleware:
    """Request id in and out, one access-log line and the HTTP metrics per request.

    ``quiet_routes``: routes whose successful (2xx/3xx) requests are not logged, only counted; for
    checks that ride on another request which is logged already (forwardAuth: the gateway logs it).
    """

    def __init__(self, app: ASGIApp, service: str, quiet_routes: Collection[str] = ()) -> None:
        self.app = app
        self.service = service
        self.quiet_routes = frozenset(quiet_routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        request_id = incoming.decode("latin-1")[:_MAX_REQUEST_ID] if incoming else new_request_id()
        token = request_id_var.set(request_id)
        scope[REQUEST_ID_SCOPE_KEY] = request_id  # for the 500 answered outside this middleware
        status = 500
        start = time.perf_counter()
        span = _start_server_span(scope) if telemetry.enabled else None

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
            exemplar = _end_server_span(span, scope["method"], route, status) if span else None
            if route != "/metrics":
                HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
                HTTP_LATENCY.labels(self.service, scope["method"], route).observe(elapsed, exemplar)
            quiet = route.startswith("/health") or (route in self.quiet_routes and status < 400)
            if not quiet:
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
            if span is not None:
                otel_context.detach(span[1])


_TRACE_HEADERS = (b"traceparent", b"tracestate")
_ServerSpan = tuple[trace.Span, Token[otel_context.Context]]


def _start_server_span(scope: Scope) -> _ServerSpan:
    """A SERVER span for this request, child of the caller's ``traceparent`` (the gateway's span).

    Named by the method until the route is known; no query string and no header is recorded.
    """
    carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"] if k in _TRACE_HEADERS}
    span = telemetry.tracer.start_span(
        scope["method"],
        context=telemetry.context_of(carrier),
        kind=telemetry.SpanKind.SERVER,
        attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
    )
    return span, otel_context.attach(trace.set_span_in_context(span))


def _end_server_span(span: _ServerSpan, method: str, route: str, status: int) -> dict[str, str] | None:
    """Name the span by its route template, end it; the exemplar that points a latency at it."""
    server_span = span[0]
    if server_span.is_recording():
        server_span.update_name(f"{method} {route}")
        server_span.set_attribute("http.route", route)
        server_span.set_attribute("http.response.status_code", status)
        if status >= 500:
            server_span.set_status(trace.StatusCode.ERROR)
    server_span.end()
    ctx = server_span.get_span_context()
    return {"trace_id": format(ctx.trace_id, "032x")} if ctx.trace_flags.sampled else None

"""The per-request state every middleware works on, and the only code that writes responses.

Why a hand-written object instead of Starlette's ``Request``: the gateway is on the hot path, and its
middlewares mutate one header list in place, the way Traefik's mutate ``http.Request``. Response hooks
mirror Traefik's response modifiers: a middleware registers a hook before calling the next handler, and
the hooks run innermost first when the status line is written, so an outer middleware has the last
word on a header, exactly as nested ``ResponseWriter`` wrappers behave in Traefik.

Headers are ``(lower-case name, value)`` byte pairs, as ASGI delivers them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, Final

__all__ = [
    "HOP_BY_HOP",
    "BodyTooLarge",
    "ClientDisconnected",
    "Handler",
    "Headers",
    "Receive",
    "Request",
    "ResponseHook",
    "Scope",
    "Send",
    "connection_listed",
    "get_header",
    "remove_header",
    "set_header",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
ResponseHook = Callable[["Request", Headers], None]
Handler = Callable[["Request"], Awaitable[None]]

# Go's httputil.ReverseProxy drops these in both directions (RFC 9110 section 7.6.1).
HOP_BY_HOP: Final = frozenset(
    {
        b"connection",
        b"proxy-connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)

# Traefik's entry point treats client-sent forwarding headers as untrusted (forwardedHeaders.insecure
# is false by default) and deletes them before routing; it then writes its own.
_UNTRUSTED: Final = frozenset(
    {
        b"x-forwarded-for",
        b"x-forwarded-proto",
        b"x-forwarded-host",
        b"x-forwarded-port",
        b"x-forwarded-server",
        b"x-forwarded-prefix",
        b"x-forwarded-method",
        b"x-forwarded-uri",
        b"x-forwarded-tls-client-cert",
        b"x-forwarded-tls-client-cert-info",
        b"x-real-ip",
    }
)
_MAX_REQUEST_ID: Final = 128
_JSON: Final = (b"content-type", b"application/json")


class BodyTooLarge(Exception):
    """The request body grew past the limit a ``buffering`` middleware set."""


class ClientDisconnected(Exception):
    """The client went away before its request body was read."""


def get_header(headers: Headers, name: bytes) -> bytes | None:
    """First value of ``name`` (lower-case), or ``None``."""
    for key, value in headers:
        if key == name:
            return value
    return None


def remove_header(headers: Headers, name: bytes) -> None:
    """Delete every ``name`` header in place (no copy when it is absent, the common case)."""
    for key, _ in headers:
        if key == name:
            headers[:] = [item for item in headers if item[0] != name]
            return


def set_header(headers: Headers, name: bytes, value: bytes) -> None:
    """Replace every ``name`` header with one ``value``, like Go's ``Header.Set``."""
    remove_header(headers, name)
    headers.append((name, value))


def connection_listed(headers: Headers) -> frozenset[bytes]:
    """Header names a ``Connection`` header declares hop-by-hop (they are dropped too)."""
    names: set[bytes] = set()
    for key, value in headers:
        if key == b"connection":
            names.update(token.strip().lower() for token in value.split(b","))
    names.discard(b"")
    return frozenset(names)


def _valid_request_id(value: bytes | None) -> bool:
    return value is not None and 0 < len(value) <= _MAX_REQUEST_ID and all(33 <= c <= 126 for c in value)


class Request:
    """One proxied request: what the middlewares read and rewrite, and how the response is written."""

    __slots__ = (
        "_receive",
        "_send",
        "body_error",
        "chunked",
        "client_ip",
        "content_length",
        "headers",
        "hooks",
        "host",
        "max_body",
        "method",
        "path",
        "query",
        "request_id",
        "router",
        "scheme",
        "started",
        "status",
        "upstream",
    )

    def __init__(self, scope: Scope, receive: Receive, send: Send, *, server_name: bytes) -> None:
        self._receive = receive
        self._send = send
        self.method: str = scope["method"]
        raw = scope.get("raw_path") or scope["path"].encode("utf-8")
        self.path: str = raw.decode("latin-1")
        self.query: bytes = scope.get("query_string", b"")
        self.scheme: str = scope.get("scheme", "http")
        client = scope.get("client")
        self.client_ip: str = client[0] if client else ""
        self.host = b""
        self.content_length: int | None = None
        self.chunked = False
        request_id: bytes | None = None
        headers: Headers = []
        for name, value in scope["headers"]:
            if name in _UNTRUSTED:
                continue
            if name == b"host":
                self.host = value
            elif name == b"content-length":
                self.content_length = int(value) if value.isdigit() else None
            elif name == b"transfer-encoding":
                self.chunked = True
            elif name == b"x-request-id":
                request_id = value
                continue
            headers.append((name, value))
        if not _valid_request_id(request_id):
            request_id = str(uuid.uuid4()).encode("ascii")
        assert request_id is not None
        self.request_id: bytes = request_id
        self.headers: Headers = headers
        self._add_forwarded_headers(server_name)
        self.max_body: int | None = None
        self.body_error: Exception | None = None
        self.hooks: list[ResponseHook] = []
        self.started = False
        self.status = 0
        self.upstream = ""
        self.router = ""

    def _add_forwarded_headers(self, server_name: bytes) -> None:
        """What Traefik's entry point writes before routing: forwarded proto, host, port, server, IP."""
        host = self.host
        port = host.rsplit(b":", 1)[1] if b":" in host and not host.endswith(b"]") else b""
        if not port:
            port = b"443" if self.scheme == "https" else b"80"
        append = self.headers.append
        append((b"x-request-id", self.request_id))
        append((b"x-forwarded-proto", self.scheme.encode("ascii")))
        if host:
            append((b"x-forwarded-host", host))
        append((b"x-forwarded-port", port))
        append((b"x-forwarded-server", server_name))
        append((b"x-real-ip", self.client_ip.encode("ascii")))

    @property
    def path_and_query(self) -> str:
        """The request target as the upstream receives it (Go's ``URL.RequestURI``)."""
        if self.query:
            return f"{self.path}?{self.query.decode('latin-1')}"
        return self.path

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.content_length)

    # -- responses ---------------------------------------------------------------------------------

    async def start(self, status: int, headers: Headers) -> None:
        """Write the status line: run the response hooks (innermost first), then stamp X-Request-ID."""
        for hook in reversed(self.hooks):
            hook(self, headers)
        set_header(headers, b"x-request-id", self.request_id)
        self.status = status
        self.started = True
        await self._send({"type": "http.response.start", "status": status, "headers": headers})

    async def send_body(self, chunk: bytes, *, more: bool = False) -> None:
        await self._send({"type": "http.response.body", "body": chunk, "more_body": more})

    async def respond(self, status: int, headers: Headers, body: bytes = b"") -> None:
        set_header(headers, b"content-length", str(len(body)).encode("ascii"))
        await self.start(status, headers)
        await self.send_body(body)

    async def respond_json(self, status: int, detail: str, headers: Headers | None = None) -> None:
        """The project's error shape, ``{"detail": ...}``, for answers the gateway itself gives."""
        out = headers if headers is not None else []
        out.append(_JSON)
        await self.respond(status, out, json.dumps({"detail": detail}).encode("utf-8"))

    # -- request body ------------------------------------------------------------------------------

    async def _next_chunk(self, size: int) -> tuple[bytes, bool]:
        """Receive one body message; record why reading stopped, since an HTTP client wraps it."""
        message = await self._receive()
        if message["type"] == "http.disconnect":
            self.body_error = ClientDisconnected()
            raise self.body_error
        chunk: bytes = message.get("body", b"")
        if self.max_body is not None and size + len(chunk) > self.max_body:
            self.body_error = BodyTooLarge()
            raise self.body_error
        return chunk, message.get("more_body", False)

    async def read_body(self) -> bytes:
        """The whole body, refusing to hold more than ``max_body`` bytes."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            chunk, more = await self._next_chunk(size)
            size += len(chunk)
            chunks.append(chunk)
        return b"".join(chunks)

    async def stream_body(self) -> AsyncIterator[bytes]:
        """The body chunk by chunk, raising ``BodyTooLarge`` as soon as it passes ``max_body``."""
        size = 0
        more = True
        while more:
            chunk, more = await self._next_chunk(size)
            size += len(chunk)
            if chunk:
                yield chunk

"""Keep-alive connection pool to one origin, and the request/response API the gateway uses.

Semantics borrowed from Go's transport, which Traefik uses: connections are reused while the
upstream keeps them alive and they have been idle less than ``idle_timeout`` (keep it below the
upstream's own keep-alive timeout so a connection is never reused as the server closes it); a request
that fails on a *reused* connection before any answer arrived is retried once on a new connection when
that is safe (an idempotent method with a replayable body). A streamed request body is written by its
own task while the answer is awaited, so an upstream that answers before reading everything cannot
deadlock the exchange.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from typing import Final
from urllib.parse import urlsplit

from native_gateway.httpclient.connection import (
    ConnectError,
    Connection,
    ProtocolError,
    UpstreamTimeout,
)

__all__ = ["Body", "Pool", "Response"]

Body = bytes | AsyncIterator[bytes] | None
Headers = list[tuple[bytes, bytes]]

_IDEMPOTENT: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_EMPTY_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})  # Go sends Content-Length: 0 for these


class Response:
    """Status, headers and a body to read once; ``release`` returns the connection to the pool."""

    __slots__ = ("_conn", "_pool", "_writer", "content_length", "headers", "status")

    def __init__(self, pool: Pool, conn: Connection, writer: asyncio.Task[None] | None) -> None:
        self._pool = pool
        self._conn = conn
        self._writer = writer
        self.status = conn.status
        self.headers = conn.headers
        self.content_length: int | None = None
        for name, value in conn.headers:
            if name == b"content-length" and value.isdigit():
                self.content_length = int(value)
            elif name == b"transfer-encoding":
                self.content_length = None
                break

    async def read(self) -> bytes:
        """The whole body (then the connection goes back to the pool)."""
        chunks = [chunk async for chunk in self.iter_chunks()]
        return b"".join(chunks)

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        try:
            while chunk := await self._conn.read_chunk():
                yield chunk
        finally:
            self.release()

    def release(self) -> None:
        """Idempotent: pool the connection if the exchange ended cleanly, otherwise close it."""
        conn = self._conn
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            conn.close()
        if conn.active:
            self._pool.release(conn)


class Pool:
    """Connections to one ``scheme://host:port``, created on demand and kept alive between requests."""

    def __init__(
        self, base_url: str, *, connect_timeout: float | None, idle_timeout: float | None, max_idle: int = 200
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base_url!r} is not an http(s) URL")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.authority = parts.netloc.encode("latin-1")
        self._ssl = ssl.create_default_context() if parts.scheme == "https" else None
        self._connect_timeout = connect_timeout
        self._idle_timeout = idle_timeout
        self._max_idle = max_idle
        self._idle: list[Connection] = []

    async def request(
        self,
        method: str,
        target: str,
        headers: Headers,
        body: Body = None,
        *,
        content_length: int | None = None,
        response_timeout: float | None = None,
    ) -> Response:
        """Send a request; return once the answer's headers arrived.

        ``response_timeout`` bounds each wait for the upstream: for the headers, then for every body
        chunk (Go's ``ResponseHeaderTimeout``, extended to a stalled body).
        """
        streamed = body is not None and not isinstance(body, bytes)
        head = _head(method, target, headers, body, content_length)
        retry = method in _IDEMPOTENT and not streamed
        conn = self._take_idle()
        reused = conn is not None
        while True:
            if conn is None:
                conn = await self._connect()
            conn.begin(head_request=method == "HEAD", wait_timeout=response_timeout)
            writer = None
            try:
                if streamed:
                    conn.write(head)
                    chunked = content_length is None
                    assert not isinstance(body, bytes | None)
                    writer = asyncio.create_task(_write_stream(conn, body, chunked=chunked))
                else:
                    conn.write(head + body if isinstance(body, bytes) else head)
                await conn.wait_headers()
            except ProtocolError:
                conn.close()
                if writer is not None:
                    writer.cancel()
                if reused and retry and not conn.got_bytes:
                    conn, reused = None, False
                    continue
                raise
            except BaseException:
                conn.close()
                if writer is not None:
                    writer.cancel()
                raise
            return Response(self, conn, writer)

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self._connect_timeout):
                _, conn = await loop.create_connection(
                    Connection,
                    self.host,
                    self.port,
                    ssl=self._ssl,
                    server_hostname=self.host if self._ssl else None,
                )
        except TimeoutError as exc:
            raise UpstreamTimeout(f"connecting to {self.host}:{self.port} timed out") from exc
        except OSError as exc:
            raise ConnectError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        return conn

    def _take_idle(self) -> Connection | None:
        now = time.monotonic()
        idle = self._idle
        while idle:
            conn = idle.pop()  # most recently used first: fewer connections stay warm
            if conn.closed:
                continue
            if self._idle_timeout and now - conn.idle_since > self._idle_timeout:
                conn.close()
                continue
            return conn
        return None

    def release(self, conn: Connection) -> None:
        reusable = conn.complete and conn.keep_alive and not conn.closed and conn.error is None
        conn.active = False
        if reusable and len(self._idle) < self._max_idle:
            conn.idle_since = time.monotonic()
            self._idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        """Close the idle connections (those in use close when their exchange ends)."""
        for conn in self._idle:
            conn.close()
        self._idle.clear()


def _head(method: str, target: str, headers: Headers, body: Body, content_length: int | None) -> bytes:
    parts = [f"{method} {target} HTTP/1.1\r\n".encode("latin-1")]
    for name, value in headers:
        parts += (name, b": ", value, b"\r\n")
    if isinstance(body, bytes):
        if body or method in _EMPTY_BODY_METHODS:
            parts.append(b"content-length: %d\r\n" % len(body))
    elif body is not None:
        if content_length is None:
            parts.append(b"transfer-encoding: chunked\r\n")
        else:
            parts.append(b"content-length: %d\r\n" % content_length)
    elif method in _EMPTY_BODY_METHODS:
        parts.append(b"content-length: 0\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)


async def _write_stream(conn: Connection, body: AsyncIterator[bytes], *, chunked: bool) -> None:
    """Copy a streamed body to the connection; a failure (e.g. the body limit) aborts the exchange."""
    try:
        async for chunk in body:
            conn.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
            await conn.drain()
        if chunked:
            conn.write(b"0\r\n\r\n")
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        conn.fail(exc)

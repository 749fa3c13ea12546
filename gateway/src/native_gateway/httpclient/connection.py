"""One keep-alive HTTP/1.1 connection to an upstream: an asyncio protocol parsing with httptools.

Why not aiohttp or httpx: each proxied request makes two upstream calls (forwardAuth, then the
service), and those clients spend ~150-250 µs of CPU per call building request objects, multidicts
and URLs. This protocol writes the request head straight from the ASGI header bytes and hands back
the parsed status, headers and body chunks, with flow control both ways (reading pauses when the
consumer lags, writing waits when the socket buffer is full).

A connection serves one request at a time; ``Pool`` (``pool.py``) hands it out and takes it back.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final, cast

import httptools

__all__ = ["ConnectError", "Connection", "ProtocolError", "UpstreamError", "UpstreamTimeout"]

_HIGH_WATER: Final = 256 * 1024  # buffered response bytes before reading pauses
_LOW_WATER: Final = 64 * 1024


class UpstreamError(Exception):
    """The upstream could not give a complete answer."""


class ConnectError(UpstreamError):
    """No connection could be made (refused, unresolvable): a proxy answers 502."""


class UpstreamTimeout(UpstreamError, TimeoutError):
    """Connecting or waiting for the answer took longer than allowed: a proxy answers 504."""


class ProtocolError(UpstreamError):
    """The connection closed early or the answer was not valid HTTP: a proxy answers 502."""


class Connection(asyncio.Protocol):
    """The protocol instance of one TCP connection, and the state of the exchange in progress."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self.begin(head_request=False, wait_timeout=None)
        self.active = False

    # -- one exchange ------------------------------------------------------------------------------

    def begin(self, *, head_request: bool, wait_timeout: float | None) -> None:
        """Reset the per-request state before a request is written.

        ``wait_timeout`` bounds each wait for the upstream (for the headers, then between body chunks),
        like Go's ``ResponseHeaderTimeout``; it is a deadline per wait, not for the whole exchange.
        """
        self.active = True
        self.head_request = head_request
        self.wait_timeout = wait_timeout
        self.got_bytes = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.keep_alive = False
        self.complete = False
        self._informational = False
        self._until_close = False
        self._body: deque[bytes] = deque()
        self._buffered = 0
        self._reading_paused = False
        self._waiter: asyncio.Future[None] | None = None
        self.error: BaseException | None = None

    def write(self, data: bytes) -> None:
        if self.transport is None or self.closed:
            raise ProtocolError("connection closed before the request was written")
        self.transport.write(data)

    async def drain(self) -> None:
        """Wait while the socket's write buffer is above its high-water mark."""
        if self._write_paused and not self.closed:
            self._drain_waiter = self.loop.create_future()
            await self._drain_waiter
        if self.closed:
            raise self.error or ProtocolError("connection closed while writing the request")

    async def wait_headers(self) -> None:
        """Wait for the status line and headers; raise the connection's error if it failed."""
        while not self.status and self.error is None:
            await self._wait("no response headers")
        if self.error is not None:
            raise self.error

    async def read_chunk(self) -> bytes:
        """The next body chunk, or ``b""`` once the body is complete."""
        while not self._body and not self.complete and self.error is None:
            await self._wait("response body stalled")
        if self._body:
            chunk = self._body.popleft()
            self._buffered -= len(chunk)
            if self._reading_paused and self._buffered < _LOW_WATER and self.transport is not None:
                self._reading_paused = False
                self.transport.resume_reading()
            return chunk
        if self.error is not None:
            raise self.error
        return b""

    async def _wait(self, what: str) -> None:
        # A timer that fails the connection is cheaper than asyncio.timeout() on the hot path, and a
        # timed-out connection must be closed anyway.
        waiter = self._waiter = self.loop.create_future()
        handle = None
        timeout = self.wait_timeout
        if timeout:
            handle = self.loop.call_later(timeout, self.fail, UpstreamTimeout(f"{what} within {timeout:g}s"))
        try:
            await waiter
        finally:
            self._waiter = None
            if handle is not None:
                handle.cancel()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def fail(self, error: BaseException) -> None:
        """Abort the exchange with ``error`` and close the connection (it cannot be reused)."""
        if self.error is None:
            self.error = error
        self.close()
        self._wake()

    def close(self) -> None:
        self.keep_alive = False
        if self.transport is not None and not self.closed:
            self.transport.close()

    # -- asyncio.Protocol --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if not self.active:  # an idle connection has nothing to receive: the server is misbehaving
            self.close()
            return
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.fail(ProtocolError("upstream switched protocols, which the gateway does not proxy"))
        except httptools.HttpParserError as exc:
            self.fail(ProtocolError(f"invalid HTTP response from upstream: {exc}"))

    def eof_received(self) -> bool:
        return False  # close the transport; connection_lost settles the exchange

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.keep_alive = False
        if self.active and not self.complete:
            if self.status and self._until_close:
                self.complete = True  # a body delimited by the end of the connection
            elif self.error is None:
                self.error = ProtocolError(f"upstream closed the connection ({exc or 'end of stream'})")
        self._wake()
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)

    # -- httptools callbacks -----------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # 103 Early Hints and the like: wait for the real answer
            self._informational = True
            self.headers = []
            return
        self.status = status
        self.keep_alive = self.parser.should_keep_alive()
        framed = any(name in (b"content-length", b"transfer-encoding") for name, _ in self.headers)
        self._until_close = not framed and status not in (204, 304)
        if self.head_request:
            # llhttp cannot be told a HEAD answer has no body; finish here and do not reuse.
            self.complete = True
            self.keep_alive = False
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self.head_request:
            return
        self._body.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        self.complete = True
        self._wake()

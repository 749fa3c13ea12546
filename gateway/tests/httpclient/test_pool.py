"""The upstream client against raw TCP servers, so every byte of the exchange is under test control."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from native_gateway.httpclient import ConnectError, Pool, ProtocolError, UpstreamTimeout

pytestmark = pytest.mark.timeout(20)


class RawServer:
    """Answers each request with the next scripted reply (bytes, or None to close the connection)."""

    def __init__(self, *replies: bytes | None, delay: float = 0) -> None:
        self.replies = list(replies)
        self.delay = delay
        self.requests: list[bytes] = []
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.replies:
                head = await reader.readuntil(b"\r\n\r\n")
                body = b""
                if b"transfer-encoding: chunked" in head.lower():
                    body = await reader.readuntil(b"0\r\n\r\n")
                elif b"content-length:" in head.lower():
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    body = await reader.readexactly(length)
                self.requests.append(head + body)
                reply = self.replies.pop(0)
                await asyncio.sleep(self.delay)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if b"connection: close" in reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


def _pool(url: str, **kwargs) -> Pool:
    return Pool(
        url, connect_timeout=kwargs.pop("connect_timeout", 2), idle_timeout=kwargs.pop("idle_timeout", 10)
    )


async def test_keep_alive_connection_is_reused():
    async with RawServer(OK, OK) as server:
        pool = _pool(server.url)
        for _ in range(2):
            response = await pool.request("GET", "/a", [(b"host", pool.authority)])
            assert (response.status, await response.read()) == (200, b"ok")
        pool.close()
    assert server.connections == 1
    assert server.requests[0].startswith(b"GET /a HTTP/1.1\r\nhost: 127.0.0.1:")


async def test_chunked_and_until_close_bodies():
    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    until_close = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nall of it"
    async with RawServer(chunked, until_close) as server:
        pool = _pool(server.url)
        response = await pool.request("GET", "/", [])
        assert response.content_length is None
        assert await response.read() == b"abcde"
        response = await pool.request("GET", "/", [])
        assert await response.read() == b"all of it"
        pool.close()


async def test_head_answer_has_no_body_even_with_a_length():
    async with RawServer(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n") as server:
        pool = _pool(server.url)
        response = await pool.request("HEAD", "/", [])
        assert (response.status, response.content_length, await response.read()) == (200, 100, b"")
        pool.close()


async def test_informational_answers_are_skipped():
    async with RawServer(b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n" + OK) as server:
        pool = _pool(server.url)
        response = await pool.request("GET", "/", [])
        assert response.status == 200
        assert response.headers == [(b"content-length", b"2")]
        pool.close()


async def test_request_bodies_are_framed():
    async def stream() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b"cd"

    async with RawServer(OK, OK, OK) as server:
        pool = _pool(server.url)
        await (await pool.request("POST", "/", [], b"xyz")).read()
        await (await pool.request("POST", "/", [], stream())).read()
        await (await pool.request("PUT", "/", [], stream(), content_length=4)).read()
        pool.close()
    first, second, third = server.requests
    assert first.endswith(b"content-length: 3\r\n\r\nxyz")
    assert second.endswith(b"transfer-encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n")
    assert third.endswith(b"content-length: 4\r\n\r\nabcd")


async def test_empty_post_says_so():
    async with RawServer(OK) as server:
        pool = _pool(server.url)
        await (await pool.request("POST", "/", [])).read()
        pool.close()
    assert b"content-length: 0\r\n" in server.requests[0]


async def test_stale_reused_connection_is_retried_for_idempotent_requests():
    async with RawServer(OK, None, OK) as server:  # the second exchange finds the connection closing
        pool = _pool(server.url)
        await (await pool.request("GET", "/", [])).read()
        response = await pool.request("GET", "/", [])
        assert await response.read() == b"ok"
        pool.close()
    assert server.connections == 2


async def test_stale_reused_connection_is_not_retried_for_post():
    async with RawServer(OK, None, OK) as server:
        pool = _pool(server.url)
        await (await pool.request("GET", "/", [])).read()
        with pytest.raises(ProtocolError):
            await pool.request("POST", "/", [], b"once")
        pool.close()


async def test_invalid_answer_is_a_protocol_error():
    async with RawServer(b"NOT HTTP AT ALL\r\n\r\n") as server:
        pool = _pool(server.url)
        with pytest.raises(ProtocolError, match="invalid HTTP response"):
            await pool.request("GET", "/", [])
        pool.close()


async def test_slow_answer_times_out():
    async with RawServer(OK, delay=1) as server:
        pool = _pool(server.url)
        with pytest.raises(UpstreamTimeout, match=r"no response headers within 0\.2s"):
            await pool.request("GET", "/", [], response_timeout=0.2)
        pool.close()


async def test_refused_connection_is_a_connect_error():
    async with RawServer() as server:
        url = server.url
    pool = _pool(url)
    with pytest.raises(ConnectError, match="cannot connect"):
        await pool.request("GET", "/", [])


async def test_idle_connections_expire():
    async with RawServer(OK, OK) as server:
        pool = _pool(server.url, idle_timeout=0.05)
        await (await pool.request("GET", "/", [])).read()
        await asyncio.sleep(0.1)
        await (await pool.request("GET", "/", [])).read()
        pool.close()
    assert server.connections == 2


async def test_large_body_streams_with_flow_control():
    size = 4 * 1024 * 1024
    reply = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size + b"z" * size
    async with RawServer(reply) as server:
        pool = _pool(server.url)
        response = await pool.request("GET", "/", [])
        received = 0
        async for chunk in response.iter_chunks():
            received += len(chunk)
            await asyncio.sleep(0)  # a slow consumer: reading pauses and resumes
        pool.close()
    assert received == size

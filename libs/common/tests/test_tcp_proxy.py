"""The fault-injection proxy the fault suites use: forward, cut and restore, pause and resume."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from common_testing import TcpProxy


@contextlib.asynccontextmanager
async def _echo_server() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(1024):
                writer.write(data)
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


async def _roundtrip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> bytes:
    writer.write(data)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(data)), 5)


async def test_a_paused_proxy_holds_bytes_and_delivers_them_on_resume():
    async with _echo_server() as port:
        proxy = await TcpProxy("127.0.0.1", port).start()
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        try:
            assert await _roundtrip(reader, writer, b"before") == b"before"
            await proxy.pause()
            writer.write(b"held")
            await writer.drain()
            with pytest.raises(TimeoutError):  # a stalled server: nothing comes back, nothing fails
                await asyncio.wait_for(reader.readexactly(4), 0.3)
            await proxy.resume()
            assert await asyncio.wait_for(reader.readexactly(4), 5) == b"held"
            assert await _roundtrip(reader, writer, b"after") == b"after"
        finally:
            writer.close()
            await proxy.close()


async def test_a_connection_opened_while_paused_waits_then_works():
    async with _echo_server() as port:
        proxy = await TcpProxy("127.0.0.1", port).start()
        await proxy.pause()
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        try:
            writer.write(b"hello")
            await writer.drain()
            await proxy.resume()
            assert await asyncio.wait_for(reader.readexactly(5), 5) == b"hello"
        finally:
            writer.close()
            await proxy.close()


async def test_cut_drops_connections_and_restore_listens_on_the_same_port():
    async with _echo_server() as port:
        proxy = await TcpProxy("127.0.0.1", port).start()
        listening_on = proxy.port
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        assert await _roundtrip(reader, writer, b"x") == b"x"
        await proxy.cut()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # the connection is gone
        writer.close()
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", listening_on)
        await proxy.restore()
        assert proxy.port == listening_on
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        try:
            assert await _roundtrip(reader, writer, b"y") == b"y"
        finally:
            writer.close()
            await proxy.close()

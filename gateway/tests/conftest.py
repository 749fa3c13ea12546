"""Real servers on loopback ports: tiny raw-ASGI upstreams and auth server, and the gateway itself.

The gateway is generic, so its tests stand up throwaway upstreams instead of the real services:
``echo`` answers with what it received (so a test can assert on the headers and body that crossed
the gateway), ``auth`` answers the forwardAuth contract from AGENTS.md, driven by the bearer token.
Everything is served by uvicorn in the test's event loop, and the gateway by uvicorn with its own
lifespan, exactly as ``python -m native_gateway`` serves it.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import socket
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import aiohttp
import pytest
import uvicorn

from native_gateway.app import create_app

ROUTES = Path(__file__).resolve().parents[1] / "traefik" / "dynamic" / "routes.yml"
TRAEFIK = Path(__file__).resolve().parents[1] / "traefik" / "traefik.yml"

IDENTITY = {"x-user-id": "u-1", "x-user-name": "alice", "x-user-role": "user", "x-session-id": "s-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self):  # many servers share the test loop: leave signal handlers alone
        yield


class Served:
    """An ASGI app served by uvicorn on a loopback port; ``stop`` and ``start`` again on the same port."""

    def __init__(self, app: Any, port: int | None = None, *, lifespan: Literal["on", "off"] = "off") -> None:
        self.app = app
        self.port = port or free_port()
        self.lifespan = lifespan
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> Served:
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            lifespan=self.lifespan,
            log_config=None,
            log_level="warning",
            access_log=False,
            proxy_headers=False,
            server_header=False,
            date_header=False,
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve())
        for _ in range(500):
            if self._server.started:
                return self
            if self._task.done():
                self._task.result()
                raise RuntimeError("server exited during start-up")
            await asyncio.sleep(0.01)
        raise RuntimeError("server did not start")

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        self._server = self._task = None


async def _read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def _send_json(send: Any, status: int, payload: Any, headers: list[tuple[bytes, bytes]] | None = None):
    body = json.dumps(payload).encode()
    out = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": out + (headers or [])})
    await send({"type": "http.response.body", "body": body})


def echo_app(name: str) -> Any:
    """Answers 200 with what it received; ``x-test-delay`` makes it slow, ``x-test-size`` big."""
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers: dict[str, list[str]] = {}
        for key, value in scope["headers"]:
            headers.setdefault(key.decode(), []).append(value.decode("latin-1"))
        if scope["path"] == "/health/live":
            await _send_json(send, 200, {"status": "ok"})
            return
        body = await _read_body(receive)
        if "x-test-size" in headers:  # a large answer without Content-Length, sent in pieces
            size = int(headers["x-test-size"][0])
            await send({"type": "http.response.start", "status": 200, "headers": [(b"x-upstream", b"big")]})
            for start in range(0, size, 100_000):
                piece = b"b" * min(100_000, size - start)
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        delay = float(headers.get("x-test-delay", ["0"])[0])
        if delay:
            await asyncio.sleep(delay)
        record = {
            "server": name,
            "method": scope["method"],
            "path": scope["raw_path"].decode("latin-1"),
            "query": scope["query_string"].decode(),
            "headers": headers,
            "body_length": len(body),
        }
        seen.append(record)
        extra = [(b"x-upstream", name.encode()), (b"connection", b"x-secret"), (b"x-secret", b"hop")]
        if "x-test-csp" in headers:  # an upstream that sets its own policy
            extra.append((b"content-security-policy", headers["x-test-csp"][0].encode()))
        await _send_json(send, 200, record, extra)

    app.seen = seen  # type: ignore[attr-defined]
    return app


def auth_app() -> Any:
    """The forwardAuth contract of AGENTS.md, chosen by the bearer token the client sends.

    Any other path is auth's own routes (``/docs``, ``/api/v1/auth/...``): answered like ``echo``.
    """
    seen: list[dict[str, str]] = []
    routes = echo_app("auth")

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {key.decode(): value.decode("latin-1") for key, value in scope["headers"]}
        if scope["path"] == "/health/live":
            await _send_json(send, 200, {"status": "ok"})
            return
        if scope["path"] != "/internal/forward-auth":
            await routes(scope, receive, send)
            return
        assert scope["method"] == "GET"
        seen.append(headers)
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if not token:
            await _send_json(send, 200, {})
        elif token == "good":
            await _send_json(send, 200, {}, [(k.encode(), v.encode()) for k, v in IDENTITY.items()])
        elif token == "limited":
            await _send_json(send, 429, {"detail": "Too many requests"}, [(b"retry-after", b"7")])
        elif token == "broken":
            await _send_json(send, 503, {"detail": "auth is down"})
        elif token == "redirect":
            await _send_json(send, 302, {}, [(b"location", b"/login")])
        else:
            await _send_json(send, 401, {"detail": "Invalid token"}, [(b"www-authenticate", b"Bearer")])

    app.seen = seen  # type: ignore[attr-defined]
    app.routes_seen = routes.seen  # type: ignore[attr-defined]
    return app


class Stack:
    """auth, posts and votes test upstreams plus a gateway in front of them."""

    identity = IDENTITY  # what auth answers for ``Bearer good`` (test modules cannot import conftest)
    free_port = staticmethod(free_port)

    def __init__(self) -> None:
        self.auth = Served(auth_app())
        self.posts = Served(echo_app("posts"))
        self.votes = Served(echo_app("votes"))
        self.gateway: Served | None = None
        self.access_log = io.StringIO()

    @property
    def env(self) -> dict[str, str]:
        return {"AUTH_URL": self.auth.url, "POSTS_URL": self.posts.url, "VOTES_URL": self.votes.url}

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    async def start_gateway(
        self, config: Path | str = ROUTES, *, upstream_timeout: float | None = None
    ) -> None:
        app = create_app(config, env=self.env, upstream_timeout=upstream_timeout, access_log=self.access_log)
        self.gateway = await Served(app, lifespan="on").start()

    async def stop(self) -> None:
        if self.gateway is not None:
            await self.gateway.stop()
        await asyncio.gather(self.auth.stop(), self.posts.stop(), self.votes.stop())


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    """Upstreams started, gateway not yet (tests choose its configuration)."""
    result = Stack()
    await asyncio.gather(result.auth.start(), result.posts.start(), result.votes.start())
    try:
        yield result
    finally:
        await result.stop()


@pytest.fixture
async def gateway(stack: Stack) -> Stack:
    """The stack behind the repository's routing table."""
    await stack.start_gateway()
    return stack


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


@pytest.fixture
def routes_path() -> Path:
    """The repository's routing table, the file Traefik runs."""
    return ROUTES


@pytest.fixture
def traefik_path() -> Path:
    """The repository's Traefik static configuration."""
    return TRAEFIK


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a dynamic configuration (dedented) to a temporary file and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "dynamic.yml"
        path.write_text(textwrap.dedent(text))
        return path

    return write

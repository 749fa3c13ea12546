"""Votes runs against a real, freshly migrated ``votes_test`` database, Redis and RabbitMQ.

Posts is another service: a real HTTP server on a loopback port (``PostsStub``) stands in for its
internal lookup, and posts' events are published the way posts would, through an outbox and relay.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from common.events import Event, add_event
from common.events.schemas import PostCreated
from common.testing import TokenFactory, eventually, fresh_service, serve, truncate_all
from votes_service.main import create_app
from votes_service.settings import VotesSettings

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
REDIS_DB = 13  # each suite has its own Redis database (see AGENTS.md)

Emit = Callable[[Event], Awaitable[None]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostsStub:
    """Answers like posts: 204 for ids in ``visible``, 404 otherwise; ``slow`` and ``broken`` misbehave."""

    def __init__(self) -> None:
        self.port = free_port()
        self.visible: set[uuid.UUID] = set()
        self.slow: set[uuid.UUID] = set()
        self.broken: set[uuid.UUID] = set()
        self.asked: list[uuid.UUID] = []
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _lookup(self, request: Request) -> Response:
        post_id = uuid.UUID(request.path_params["post_id"])
        self.asked.append(post_id)
        if post_id in self.slow:
            await asyncio.sleep(5)
        if post_id in self.broken:
            return Response(status_code=500)
        return Response(status_code=204 if post_id in self.visible else 404)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/internal/posts/{post_id}", self._lookup)])
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", ws="none", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        server = self._server
        self._task = asyncio.create_task(server.serve(sockets=[sock]))

        async def started() -> bool:
            return server.started

        await eventually(started, interval=0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
            self._server = self._task = None


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(scope="session")
async def posts_stub() -> AsyncIterator[PostsStub]:
    stub = PostsStub()
    await stub.start()
    yield stub
    await stub.stop()


@pytest.fixture(scope="session")
async def overrides(posts_stub: PostsStub) -> dict[str, Any]:
    base = await fresh_service(
        db_name="votes_test", alembic_ini=ALEMBIC_INI, prefix="test-votes.", redis_db=REDIS_DB
    )
    # the purger is woken by each user deletion; no timed pass may race a test driving it by hand
    return {
        **base,
        "posts_url": posts_stub.url,
        "posts_timeout_seconds": 0.5,
        "vote_purge_interval_seconds": 3600,
    }


@pytest.fixture(scope="session")
async def app(tokens: TokenFactory, overrides: dict[str, Any]) -> AsyncIterator[FastAPI]:
    application = create_app(VotesSettings(**overrides), verifier=tokens.verifier())
    async with serve(application) as client:
        application.state.test_client = client
        await application.state.bus.ready.wait()
        yield application


@pytest.fixture
async def client(app: FastAPI, posts_stub: PostsStub) -> AsyncIterator[httpx.AsyncClient]:
    yield app.state.test_client
    await truncate_all(app.state.db.engine)
    if not posts_stub.running:  # a test stopped it: bring it back for the next one
        await posts_stub.start()
    for ids in (posts_stub.visible, posts_stub.slow, posts_stub.broken):
        ids.clear()
    posts_stub.asked.clear()


@pytest.fixture
def emit(app: FastAPI) -> Emit:
    """Publish an event as its producer would: through an outbox and the relay."""

    async def _emit(event: Event) -> None:
        async with app.state.db.session() as session, session.begin():
            await add_event(session, event)

    return _emit


async def scalar(app: FastAPI, sql: str, **params: Any) -> Any:
    async with app.state.db.session() as session:
        return (await session.execute(text(sql), params)).scalar()


@pytest.fixture
def sql(app: FastAPI) -> Callable[..., Awaitable[Any]]:
    """One value from the votes database, to check what was stored (and what was published)."""

    async def _sql(statement: str, **params: Any) -> Any:
        return await scalar(app, statement, **params)

    return _sql


@pytest.fixture
def make_post(client: httpx.AsyncClient, app: FastAPI, emit: Emit) -> Callable[[], Awaitable[uuid.UUID]]:
    """A post votes learned about from ``posts.post.created`` (the read model, not the fallback)."""

    async def _make() -> uuid.UUID:
        post_id = uuid.uuid4()
        await emit(PostCreated(post_id=post_id, author_id=uuid.uuid4(), title="t", published=True))
        await eventually(
            lambda: scalar(app, "SELECT count(*) FROM known_posts WHERE post_id = :p", p=post_id)
        )
        return post_id

    return _make

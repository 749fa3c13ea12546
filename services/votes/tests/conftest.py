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
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from common.events.schemas import PostCreated
from common_testing import TokenFactory, eventually, fresh_service, truncate_all
from common_testing.plugin import Emit, ServiceUnderTest, Sql
from common_testing.ports import FreePorts
from votes_service.main import create_app
from votes_service.settings import VotesSettings
from votes_service.state import state_of

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
REDIS_DB = 13  # each suite has its own Redis database (see AGENTS.md)


class PostsStub:
    """Answers like posts: 204 for ids in ``visible``, 404 otherwise; ``slow`` and ``broken`` misbehave."""

    def __init__(self, port: int) -> None:
        self.port = port
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
async def posts_stub(free_port: FreePorts) -> AsyncIterator[PostsStub]:
    stub = PostsStub(free_port())
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
def service_under_test(
    tokens: TokenFactory, overrides: dict[str, Any], posts_stub: PostsStub
) -> ServiceUnderTest:
    application = create_app(VotesSettings(**overrides), verifier=tokens.verifier())

    async def reset() -> None:
        await truncate_all(state_of(application).db.engine)
        if not posts_stub.running:  # a test stopped it: bring it back for the next one
            await posts_stub.start()
        for ids in (posts_stub.visible, posts_stub.slow, posts_stub.broken):
            ids.clear()
        posts_stub.asked.clear()

    # ``sql``: one value from the votes database, to check what was stored (and what was published)
    return ServiceUnderTest(application, reset=reset, sql_result="scalar")


@pytest.fixture
def make_post(client: httpx.AsyncClient, sql: Sql, emit: Emit) -> Callable[[], Awaitable[uuid.UUID]]:
    """A post votes learned about from ``posts.post.created`` (the read model, not the fallback)."""

    async def _make() -> uuid.UUID:
        post_id = uuid.uuid4()
        await emit(PostCreated(post_id=post_id, author_id=uuid.uuid4(), title="t", published=True))
        await eventually(lambda: sql.scalar("SELECT count(*) FROM known_posts WHERE post_id = :p", p=post_id))
        return post_id

    return _make

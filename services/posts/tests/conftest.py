"""Posts runs against a real, freshly migrated ``posts_test`` database, Redis and RabbitMQ.

Media go to a local storage directory made for the run, so tests can look at what was (not) stored.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from common.events import Event, add_event
from common.testing import TokenFactory, fresh_service, serve, truncate_all
from posts_service.main import create_app
from posts_service.settings import PostsSettings

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
REDIS_DB = 12  # each suite has its own Redis database (see AGENTS.md)
#: The feed's staleness bound in this suite: short, so tests wait little for others' writes.
FEED_STALENESS_SECONDS = 0.5
#: Small, so the oversize test does not have to move megabytes.
MEDIA_MAX_BYTES = 64 * 1024


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
async def app(tokens: TokenFactory, media_dir: Path) -> AsyncIterator[FastAPI]:
    overrides = await fresh_service(
        db_name="posts_test", alembic_ini=ALEMBIC_INI, prefix="test-posts.", redis_db=REDIS_DB
    )
    settings = PostsSettings(
        **overrides,
        media_storage="local",
        media_dir=media_dir,
        media_max_bytes=MEDIA_MAX_BYTES,
        media_max_per_post=3,
        post_retention_days=30,
        feed_staleness_seconds=FEED_STALENESS_SECONDS,
    )
    application = create_app(settings, verifier=tokens.verifier())
    async with serve(application) as client:
        application.state.test_client = client
        await application.state.bus.ready.wait()
        yield application


@pytest.fixture
async def client(app: FastAPI, media_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    yield app.state.test_client
    await truncate_all(app.state.db.engine)
    await app.state.posts_cache.redis.flushdb()
    _empty(media_dir)


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        shutil.rmtree(child)


@pytest.fixture
def emit(app: FastAPI) -> Callable[..., Awaitable[None]]:
    """Publish an event as its producer would: through an outbox and the relay."""

    async def _emit(event: Event) -> None:
        async with app.state.db.session() as session, session.begin():
            await add_event(session, event)

    return _emit


@pytest.fixture
def sql(app: FastAPI) -> Callable[..., Awaitable[list[Any]]]:
    """Run SQL on the service's database (bulk inserts, and looking at what was stored)."""

    async def _sql(statement: str, **params: Any) -> list[Any]:
        async with app.state.db.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    return _sql


@pytest.fixture
def new_post(client: httpx.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def _new_post(auth: dict[str, str], **fields: Any) -> dict[str, Any]:
        body = {"title": f"title {uuid.uuid4().hex[:6]}", "content": "some content", **fields}
        response = await client.post("/api/v1/posts", json=body, headers=auth)
        assert response.status_code == 201, response.text
        post: dict[str, Any] = response.json()
        return post

    return _new_post

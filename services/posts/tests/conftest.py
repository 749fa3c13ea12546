"""Posts runs against a real, freshly migrated ``posts_test`` database, Redis and RabbitMQ.

Media go to a local storage directory made for the run, so tests can look at what was (not) stored.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from common_testing import TokenFactory, fresh_service, truncate_all
from common_testing.plugin import ServiceUnderTest
from posts_service.main import create_app
from posts_service.settings import PostsSettings
from posts_service.state import state_of

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
REDIS_DB = 12  # each suite has its own Redis database (see AGENTS.md)
#: The feed's staleness bound in this suite: short, so tests wait little for others' writes.
FEED_STALENESS_SECONDS = 0.5
#: Small, so the oversize test does not have to move megabytes.
MEDIA_MAX_BYTES = 64 * 1024


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
async def service_under_test(tokens: TokenFactory, media_dir: Path) -> ServiceUnderTest:
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

    async def reset() -> None:
        await truncate_all(state_of(application).db.engine)
        await state_of(application).cache.redis.flushdb()
        _empty(media_dir)

    # ``sql`` gives the rows (bulk inserts, and looking at what was stored)
    return ServiceUnderTest(application, reset=reset, sql_result="rows")


def _empty(folder: Path) -> None:
    for child in folder.iterdir():
        shutil.rmtree(child)


@pytest.fixture
def new_post(client: httpx.AsyncClient) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def _new_post(auth: dict[str, str], **fields: Any) -> dict[str, Any]:
        body = {"title": f"title {uuid.uuid4().hex[:6]}", "content": "some content", **fields}
        response = await client.post("/api/v1/posts", json=body, headers=auth)
        assert response.status_code == 201, response.text
        post: dict[str, Any] = response.json()
        return post

    return _new_post

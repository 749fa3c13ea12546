"""Posts runs against a real, freshly migrated ``posts_test`` database, Redis and RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from common.events import Event, add_event
from common.testing import TokenFactory, fresh_service, serve, truncate_all
from posts_service.main import create_app
from posts_service.settings import PostsSettings

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
REDIS_DB = 12  # each suite has its own Redis database (see AGENTS.md)


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(scope="session")
async def app(tokens: TokenFactory) -> AsyncIterator[FastAPI]:
    overrides = await fresh_service(
        db_name="posts_test", alembic_ini=ALEMBIC_INI, prefix="test-posts.", redis_db=REDIS_DB
    )
    application = create_app(PostsSettings(**overrides), verifier=tokens.verifier())
    async with serve(application) as client:
        application.state.test_client = client
        await application.state.bus.ready.wait()
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    yield app.state.test_client
    await truncate_all(app.state.db.engine)


@pytest.fixture
def emit(app: FastAPI):  # type: ignore[no-untyped-def]
    """Publish an event as its producer would: through an outbox and the relay."""

    async def _emit(event: Event, producer: str = "test") -> None:
        async with app.state.db.session() as session, session.begin():
            await add_event(session, event, producer=producer)

    return _emit

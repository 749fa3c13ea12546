"""The fixtures every suite shares: a pytest plugin (entry point ``pytest11``), so no conftest repeats them.

For every suite:

- ``free_port``: ``free_port()`` is a loopback port nothing listens on, ``free_port.several(3)`` three
  distinct ones (a stub server, an SMTP sink, a second Traefik);
- ``tokens``: a :class:`~common_testing.TokenFactory` for the run, signing access tokens the way auth
  does with a key of its own (a service under test verifies them with ``tokens.verifier()``).

For a service's suite, whose conftest declares what differs, as a session fixture::

    @pytest.fixture(scope="session")
    async def service_under_test(tokens: TokenFactory) -> ServiceUnderTest:
        overrides = await fresh_service(db_name="votes_test", ...)
        return ServiceUnderTest(create_app(VotesSettings(**overrides), verifier=tokens.verifier()))

- ``app``: that app running in-process with its lifespan (real PostgreSQL, Redis, RabbitMQ), once per
  run, its event bus connected and its state reset before the first test;
- ``client``: an ``httpx.AsyncClient`` talking to ``app`` in-process, with no cookies; after each test
  the suite's ``reset`` (default: every table emptied);
- ``sql``: ``await sql(statement, **params)`` runs SQL on the service's database (committed) and returns
  rows, one value or dicts, as the suite's ``sql_result`` says (``sql.rows``, ``sql.scalar``,
  ``sql.dicts`` whichever the suite);
- ``emit``: ``await emit(event)`` publishes an event as its producer would (an outbox row that the
  service's relay sends to the broker) and returns its id.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from common.db import Database
from common.events import Event, add_event
from common.state import state_of
from common_testing import TokenFactory, serve, truncate_all
from common_testing.ports import FreePorts

__all__ = ["Emit", "ServiceUnderTest", "Sql", "SqlResult"]

SqlResult = Literal["rows", "scalar", "dicts"]


@dataclass(frozen=True, eq=False)
class ServiceUnderTest:
    """What a service's suite gives the plugin: its app (not started) and what differs per suite.

    ``reset``: run after each test (and once before the first) to give the next one a clean service;
    default: every table of its database emptied. ``sql_result``: what ``await sql(...)`` returns.
    """

    app: FastAPI
    reset: Callable[[], Awaitable[None]] | None = None
    sql_result: SqlResult = "rows"


class Emit(Protocol):
    def __call__(self, event: Event) -> Awaitable[uuid.UUID]: ...


def _db(app: FastAPI) -> Database:
    return state_of(app).db


@pytest.fixture(scope="session")
def free_port() -> FreePorts:
    return FreePorts()


@pytest.fixture(scope="session")
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    raise pytest.UsageError(
        "this suite uses app/client/sql/emit: its conftest must define the session fixture "
        "`service_under_test` (a common_testing.plugin.ServiceUnderTest)"
    )


async def _reset(service: ServiceUnderTest) -> None:
    if service.reset is not None:
        await service.reset()
    else:
        await truncate_all(_db(service.app).engine)


@pytest_asyncio.fixture(scope="session")
async def _served(service_under_test: ServiceUnderTest) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    application = service_under_test.app
    async with serve(application) as http:
        await state_of(application).bus.ready.wait()
        await _reset(service_under_test)  # the same start for every test, the first one included
        yield application, http


@pytest.fixture(scope="session")
def app(_served: tuple[FastAPI, httpx.AsyncClient]) -> FastAPI:
    return _served[0]


@pytest_asyncio.fixture
async def client(
    _served: tuple[FastAPI, httpx.AsyncClient], service_under_test: ServiceUnderTest
) -> AsyncIterator[httpx.AsyncClient]:
    http = _served[1]
    http.cookies.clear()
    yield http
    await _reset(service_under_test)


class Sql:
    """SQL on a service's database, each call its own committed transaction."""

    def __init__(self, db: Database, result: SqlResult) -> None:
        self.db = db
        self.result = result

    async def __call__(self, statement: str, **params: Any) -> Any:
        """Rows, one value or dicts: what the suite's ``sql_result`` names."""
        if self.result == "scalar":
            return await self.scalar(statement, **params)
        if self.result == "dicts":
            return await self.dicts(statement, **params)
        return await self.rows(statement, **params)

    async def rows(self, statement: str, **params: Any) -> list[Any]:
        """The rows (none for a statement that returns none)."""
        async with self.db.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    async def scalar(self, statement: str, **params: Any) -> Any:
        """The first column of the first row (None if there is none)."""
        async with self.db.engine.begin() as conn:
            return (await conn.execute(text(statement), params)).scalar()

    async def dicts(self, statement: str, **params: Any) -> list[dict[str, Any]]:
        """The rows as dicts, by column name."""
        async with self.db.engine.begin() as conn:
            return [dict(row._mapping) for row in await conn.execute(text(statement), params)]


@pytest.fixture
def sql(app: FastAPI, service_under_test: ServiceUnderTest) -> Sql:
    return Sql(_db(app), service_under_test.sql_result)


@pytest.fixture
def emit(app: FastAPI) -> Emit:
    """Publish an event as its producer would: through an outbox and the relay; returns its id."""

    async def _emit(event: Event) -> uuid.UUID:
        async with _db(app).session() as session, session.begin():
            envelope = await add_event(session, event)
        return envelope.id

    return _emit

"""Async database access: one engine per process, created in lifespan, one session per request.

The request boundary commits once (``SessionDep``); services and repositories only ``flush()``.
``scope="function"`` makes the commit happen before the response is sent, so a client never sees a
success for a write that then fails to commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event, exc, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from common.state import state_of

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "SessionDep",
    "asyncpg_dsn",
    "get_session",
    "unit_of_work",
    "utcnow",
]

#: Constraint names that Alembic can find again (STYLE: a naming convention on MetaData).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware (UTC): every model's timestamp default."""
    return datetime.now(UTC)


def asyncpg_dsn(url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg wants, from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _drop_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server closed while it was idle (a restart, a terminated
    backend, a proxy that dropped it): the pool discards it and checks out another, or connects.

    asyncpg notices the server's close on the event loop while the connection sits in the pool, so
    this is a flag read, not a round trip. A connection lost between this check and its first
    statement fails that statement, and SQLAlchemy then invalidates the whole pool, as before.
    """
    if dbapi_connection.driver_connection.is_closed():
        raise exc.DisconnectionError("connection closed by the server while idle in the pool")


class Database:
    """Owns the engine and the session factory of one service process."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            # No pre-ping: it costs three round trips per checkout (BEGIN, a query, ROLLBACK), a fifth
            # of a small write's statements. ``_drop_closed`` replaces it for free (below).
            pool_timeout=10,
            echo=echo,
            # A statement that hangs (stalled database) fails instead of holding a request forever.
            connect_args={"command_timeout": 15, "timeout": 5},
        )
        event.listen(self.engine.sync_engine, "checkout", _drop_closed)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


@contextlib.asynccontextmanager
async def unit_of_work(db: Database) -> AsyncIterator[AsyncSession]:
    """A session committed when the block ends, rolled back if it raises (the request boundary's
    transaction; a dependency that must act after the commit wraps its ``yield`` in this)."""
    async with db.session() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for one request: committed when the endpoint returns, rolled back if it raises."""
    async with unit_of_work(state_of(request.app).db) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

"""Async database access: one engine per process, created in lifespan, one session per request.

The request boundary commits once (``SessionDep``); services and repositories only ``flush()``.
``scope="function"`` makes the commit happen before the response is sent, so a client never sees a
success for a write that then fails to commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "SessionDep",
    "asyncpg_dsn",
    "get_session",
]

#: Constraint names that Alembic can find again (STYLE: a naming convention on MetaData).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def asyncpg_dsn(url: str) -> str:
    """The plain ``postgresql://`` DSN asyncpg wants, from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


class Database:
    """Owns the engine and the session factory of one service process."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            pool_timeout=10,
            echo=echo,
            # A statement that hangs (stalled database) fails instead of holding a request forever.
            connect_args={"command_timeout": 15, "timeout": 5},
        )
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)

    def session(self) -> AsyncSession:
        return self.sessionmaker()

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for one request: committed when the endpoint returns, rolled back if it raises."""
    db: Database = request.app.state.db
    async with db.session() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

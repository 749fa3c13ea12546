"""The pool without pre-ping: a connection the server closed while idle is never handed out."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy import text

from common.db import Database, asyncpg_dsn
from common.dbtools import ensure_database
from common_testing import test_database_url as database_url

DB_URL = database_url("common_test")


async def test_a_connection_the_server_closed_while_pooled_is_replaced_not_used() -> None:
    await ensure_database(DB_URL)
    db = Database(DB_URL, pool_size=1)
    try:
        async with db.session() as session:
            first = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        # The connection is back in the pool; the server ends its backend (as a restart would).
        other = await asyncpg.connect(asyncpg_dsn(DB_URL))
        try:
            assert await other.fetchval("SELECT pg_terminate_backend($1)", first)
        finally:
            await other.close()
        await asyncio.sleep(0.2)  # the event loop reads the server's goodbye on the idle socket
        async with db.session() as session:
            second = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await db.dispose()

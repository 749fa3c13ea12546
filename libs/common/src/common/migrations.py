"""Alembic glue every service's ``migrations/env.py`` calls (async engine from ``DATABASE_URL``), and the
check every service's ``tests/test_migrations.py`` makes: migrated from nothing, the schema is the models'."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from alembic import context
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from common.dbtools import drop_database, ensure_database

__all__ = ["run_migrations", "schema_diff_from_scratch", "tables_of"]


def _do_run(connection: Connection, metadata: MetaData | None) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str, metadata: MetaData | None) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_do_run, metadata)
    await engine.dispose()


def run_migrations(metadata: MetaData | None = None) -> None:
    url = os.environ.get("DATABASE_URL") or context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("DATABASE_URL is not set")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_async(url, metadata))


def _compare(connection: Connection, metadata: Sequence[MetaData]) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, list(metadata)))  # type: ignore[arg-type]


def tables_of(models: ModuleType) -> MetaData:
    """The tables a service's ``models`` module exports (``__all__``), in a metadata of their own.

    ``SQLModel.metadata`` is one per process: where several services are installed (the tests, the
    bench), it holds every service's tables once their handlers were imported.
    """
    metadata = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for name in models.__all__:
        table = getattr(getattr(models, name), "__table__", None)
        if isinstance(table, Table):
            table.to_metadata(metadata)
    return metadata


async def schema_diff_from_scratch(alembic_ini: Path, url: str, metadata: Sequence[MetaData]) -> list[Any]:
    """Alembic's autogenerate diff between ``metadata`` and a database migrated from nothing.

    Drops and creates the database at ``url``, runs ``alembic upgrade head`` in a subprocess (as an
    operator would) and compares; empty when the migrations build exactly what the models declare:
    tables, columns and their types and nullability, indexes (partial and expression ones too),
    unique and foreign-key constraints. Beyond it, as beyond every autogenerate: triggers, functions,
    check constraints and a generated column's expression; and server defaults, which Alembic does
    not compare unless asked (most models set their defaults in Python). Nothing is excluded. The
    database is dropped after.
    """
    await drop_database(url)
    await ensure_database(url)
    try:
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "alembic", "-c", str(alembic_ini), "upgrade", "head"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"migrations failed for {url}:\n{result.stderr}")
        engine = create_async_engine(url, poolclass=pool.NullPool)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(_compare, metadata)
        finally:
            await engine.dispose()
    finally:
        await drop_database(url)

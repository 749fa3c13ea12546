"""A database migrated from nothing holds exactly what the models declare: Alembic's autogenerate
comparison of the two finds no difference (``common.migrations.schema_diff_from_scratch``)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import MetaData, Table
from sqlmodel import SQLModel

from common.events.tables import event_metadata
from common.migrations import schema_diff_from_scratch
from worker_service import models

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
PG = os.environ.get("TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
DATABASE_URL = f"{PG}/worker_migrations"


def service_metadata() -> MetaData:
    """The tables ``worker_service.models`` re-exports, and only those: ``SQLModel.metadata`` is one
    per process, and once the test kit has loaded every installed subscription (and so every
    service's handlers and models) it holds the other services' tables too."""
    metadata = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for name in models.__all__:
        table = getattr(getattr(models, name), "__table__", None)
        if isinstance(table, Table):
            table.to_metadata(metadata)
    return metadata


async def test_a_database_migrated_from_scratch_matches_the_models() -> None:
    metadata = [service_metadata(), event_metadata]
    assert await schema_diff_from_scratch(ALEMBIC_INI, DATABASE_URL, metadata) == []

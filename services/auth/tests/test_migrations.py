"""A database migrated from nothing holds exactly what the models declare: Alembic's autogenerate
comparison of the two finds no difference (``common.migrations.schema_diff_from_scratch``)."""

from __future__ import annotations

import os
from pathlib import Path

from auth_service import models
from common.events.tables import event_metadata
from common.idempotency import idempotency_metadata
from common.migrations import schema_diff_from_scratch, tables_of

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
PG = os.environ.get("TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
DATABASE_URL = f"{PG}/auth_migrations"


async def test_a_database_migrated_from_scratch_matches_the_models() -> None:
    metadata = [tables_of(models), event_metadata, idempotency_metadata]
    assert await schema_diff_from_scratch(ALEMBIC_INI, DATABASE_URL, metadata) == []

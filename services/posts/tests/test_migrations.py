"""A database migrated from nothing holds exactly what the models declare: Alembic's autogenerate
comparison of the two finds no difference (``common.migrations.schema_diff_from_scratch``)."""

from __future__ import annotations

from common.events.tables import event_metadata
from common.idempotency import idempotency_metadata
from common_testing import migrations_diff
from posts_service import models


async def test_a_database_migrated_from_scratch_matches_the_models() -> None:
    assert await migrations_diff(models, event_metadata, idempotency_metadata) == []

"""Idempotency-Key: each key, the fingerprint of its request and the first answer, kept 24 h.

Revision ID: 20261207_posts_idempotency_keys
Revises: 20261201_posts_author_active
Create Date: 2026-12-07
"""

from alembic import op

from common.idempotency import IDEMPOTENCY_DDL

revision = "20261207_posts_idempotency_keys"
down_revision = "20261201_posts_author_active"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in IDEMPOTENCY_DDL:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")

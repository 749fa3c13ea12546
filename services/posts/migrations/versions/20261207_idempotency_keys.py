"""Idempotency-Key: each key, the fingerprint of its request and the first answer, kept 24 h.

Revision ID: 20261207_posts_idempotency_keys
Revises: 20261207_posts_cache_indexes
Create Date: 2026-12-07
"""

from alembic import op

revision = "20261207_posts_idempotency_keys"
down_revision = "20261207_posts_cache_indexes"
branch_labels = None
depends_on = None

#: The DDL as it was at this revision (a migration never imports live code).
_DDL = (
    """
    CREATE TABLE idempotency_keys (
        scope VARCHAR(80) NOT NULL,
        key VARCHAR(255) NOT NULL,
        fingerprint VARCHAR(64) NOT NULL,
        status_code SMALLINT NOT NULL,
        headers JSONB NOT NULL,
        body BYTEA NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        expires_at TIMESTAMPTZ NOT NULL,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (scope, key)
    )
    """,
    "CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at)",
)


def upgrade() -> None:
    for statement in _DDL:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")

"""Initial worker schema: jobs, outbox, inbox.

Revision ID: 20261123_worker_initial
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from common.events import INBOX_DDL, OUTBOX_DDL

revision = "20261123_worker_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE jobs (
            id UUID PRIMARY KEY,
            type VARCHAR(64) NOT NULL,
            status VARCHAR(16) NOT NULL DEFAULT 'pending',
            event_id UUID UNIQUE,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            finished_at TIMESTAMPTZ
        )
        """
    )
    op.execute("CREATE INDEX ix_jobs_type ON jobs (type)")
    op.execute("CREATE INDEX ix_jobs_status ON jobs (status)")
    for statement in (*OUTBOX_DDL, *INBOX_DDL):
        op.execute(statement)


def downgrade() -> None:
    for table in ("inbox", "outbox", "jobs"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")

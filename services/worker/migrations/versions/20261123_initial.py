"""Initial worker schema: jobs, outbox, inbox.

Revision ID: 20261123_worker_initial
Revises:
Create Date: 2026-11-23
"""

from alembic import op

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
    # The outbox and inbox as common.events.tables defined them at this revision (frozen here: a
    # migration never imports live code, so a later change to the tables cannot rewrite history).
    op.execute(
        """
        CREATE TABLE outbox (
            id BIGSERIAL PRIMARY KEY,
            event_id UUID NOT NULL UNIQUE,
            type VARCHAR(120) NOT NULL,
            envelope JSONB NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            sent_at TIMESTAMPTZ,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        )
        """
    )
    op.execute("CREATE INDEX ix_outbox_pending ON outbox (id) WHERE sent_at IS NULL")
    op.execute("CREATE INDEX ix_outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL")
    op.execute(
        """
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('outbox', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
        FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()
        """
    )
    op.execute(
        """
        CREATE TABLE inbox (
            event_id UUID NOT NULL,
            consumer VARCHAR(80) NOT NULL,
            type VARCHAR(120) NOT NULL,
            received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            CONSTRAINT pk_inbox PRIMARY KEY (event_id, consumer)
        )
        """
    )


def downgrade() -> None:
    for table in ("inbox", "outbox", "jobs"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")

"""Initial votes schema: votes, known posts (read model), outbox, inbox.

Revision ID: 20261123_votes_initial
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "20261123_votes_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE votes (
            user_id UUID NOT NULL,
            post_id UUID NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            CONSTRAINT pk_votes PRIMARY KEY (user_id, post_id)
        )
        """
    )
    op.execute("CREATE INDEX ix_votes_post_id ON votes (post_id)")
    op.execute("CREATE INDEX ix_votes_user_recent ON votes (user_id, created_at DESC, post_id DESC)")
    op.execute(
        """
        CREATE TABLE known_posts (
            post_id UUID PRIMARY KEY,
            author_id UUID,
            published BOOLEAN NOT NULL DEFAULT true,
            deleted BOOLEAN NOT NULL DEFAULT false
        )
        """
    )
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
    for table in ("inbox", "outbox", "known_posts", "votes"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")

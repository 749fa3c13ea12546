"""Initial auth schema: users, sessions, outbox, inbox.

Revision ID: 20261123_auth_initial
Revises:
Create Date: 2026-11-23
"""

from alembic import op

revision = "20261123_auth_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE users (
            id UUID PRIMARY KEY,
            email VARCHAR(254) NOT NULL,
            username VARCHAR(32) NOT NULL,
            password_hash VARCHAR(255) NOT NULL,
            role VARCHAR(16) NOT NULL DEFAULT 'user',
            tier VARCHAR(32) NOT NULL DEFAULT 'free',
            is_active BOOLEAN NOT NULL DEFAULT true,
            email_verified BOOLEAN NOT NULL DEFAULT false,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE UNIQUE INDEX uq_users_email_lower ON users (lower(email))")
    op.execute("CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username))")
    op.execute(
        """
        CREATE TABLE sessions (
            id UUID PRIMARY KEY,
            user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            platform VARCHAR(64),
            user_agent VARCHAR(512),
            ip VARCHAR(64),
            refresh_token_hash VARCHAR(128),
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            last_used_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            expires_at TIMESTAMPTZ NOT NULL,
            revoked_at TIMESTAMPTZ
        )
        """
    )
    op.execute("CREATE INDEX ix_sessions_user_id ON sessions (user_id)")
    op.execute("CREATE INDEX ix_sessions_refresh_token_hash ON sessions (refresh_token_hash)")
    op.execute("CREATE INDEX ix_sessions_expires_at ON sessions (expires_at)")
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
    for table in ("inbox", "outbox", "sessions", "users"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")

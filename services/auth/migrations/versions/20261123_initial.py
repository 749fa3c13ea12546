"""Initial auth schema: users, sessions, outbox, inbox.

Revision ID: 20261123_auth_initial
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from common.events import INBOX_DDL, OUTBOX_DDL

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
    for statement in (*OUTBOX_DDL, *INBOX_DDL):
        op.execute(statement)


def downgrade() -> None:
    for table in ("inbox", "outbox", "sessions", "users"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")

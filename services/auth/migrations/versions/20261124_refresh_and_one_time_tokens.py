"""Refresh-token history (reuse detection) and single-use mailed tokens (reset, verification).

Revision ID: 20261124_auth_tokens
Revises: 20261123_auth_initial
Create Date: 2026-11-24
"""

from alembic import op

revision = "20261124_auth_tokens"
down_revision = "20261123_auth_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE used_refresh_tokens (
            token_hash VARCHAR(128) PRIMARY KEY,
            session_id UUID NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
            rotated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """
    )
    op.execute("CREATE INDEX ix_used_refresh_tokens_session_id ON used_refresh_tokens (session_id)")
    op.execute(
        """
        CREATE TABLE one_time_tokens (
            id UUID PRIMARY KEY,
            user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            purpose VARCHAR(32) NOT NULL,
            token_hash VARCHAR(128) NOT NULL,
            email VARCHAR(254),
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            expires_at TIMESTAMPTZ NOT NULL,
            used_at TIMESTAMPTZ,
            CONSTRAINT uq_one_time_tokens_token_hash UNIQUE (token_hash),
            CONSTRAINT ck_one_time_tokens_purpose
                CHECK (purpose IN ('password_reset', 'email_verification'))
        )
        """
    )
    op.execute("CREATE INDEX ix_one_time_tokens_user_id ON one_time_tokens (user_id, purpose)")
    op.execute("CREATE INDEX ix_one_time_tokens_expires_at ON one_time_tokens (expires_at)")
    op.execute("CREATE INDEX ix_sessions_last_used_at ON sessions (last_used_at)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_sessions_last_used_at")
    op.execute("DROP TABLE IF EXISTS one_time_tokens")
    op.execute("DROP TABLE IF EXISTS used_refresh_tokens")

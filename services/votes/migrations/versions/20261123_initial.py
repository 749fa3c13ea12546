"""Initial votes schema: votes, known posts (read model), outbox, inbox.

Revision ID: 20261123_votes_initial
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from common.events import INBOX_DDL, OUTBOX_DDL

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
    for statement in (*OUTBOX_DDL, *INBOX_DDL):
        op.execute(statement)


def downgrade() -> None:
    for table in ("inbox", "outbox", "known_posts", "votes"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")

"""Initial posts schema: posts, authors (read model), outbox, inbox.

Revision ID: 20261123_posts_initial
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from common.events import INBOX_DDL, OUTBOX_DDL

revision = "20261123_posts_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE posts (
            id UUID PRIMARY KEY,
            author_id UUID NOT NULL,
            title VARCHAR(200) NOT NULL,
            content TEXT NOT NULL,
            published BOOLEAN NOT NULL DEFAULT true,
            vote_count INTEGER NOT NULL DEFAULT 0,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            deleted_at TIMESTAMPTZ
        )
        """
    )
    op.execute("CREATE INDEX ix_posts_author_id ON posts (author_id)")
    op.execute("CREATE INDEX ix_posts_feed ON posts (created_at DESC, id DESC) WHERE deleted_at IS NULL")
    op.execute(
        """
        CREATE TABLE authors (
            user_id UUID PRIMARY KEY,
            username VARCHAR(32) NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            deleted BOOLEAN NOT NULL DEFAULT false
        )
        """
    )
    for statement in (*OUTBOX_DDL, *INBOX_DDL):
        op.execute(statement)


def downgrade() -> None:
    for table in ("inbox", "outbox", "authors", "posts"):
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")

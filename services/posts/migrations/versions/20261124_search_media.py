"""Full-text search, feed indexes for every sort, soft-delete housekeeping, media attachments.

Revision ID: 20261124_posts_search_media
Revises: 20261123_posts_initial
Create Date: 2026-11-24

The search document is a STORED generated column, so it can never drift from title and content, and a
GIN index serves ``@@`` queries. The title weighs A and the content B, so ``ts_rank`` puts a title
match above a content-only match. The 'english' configuration is spelled out (not the server default)
because a generated column needs an immutable expression.
"""

from alembic import op

revision = "20261124_posts_search_media"
down_revision = "20261123_posts_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE posts ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, title), 'A')
            || setweight(to_tsvector('english'::regconfig, content), 'B')
        ) STORED
        """
    )
    op.execute("CREATE INDEX ix_posts_search ON posts USING GIN (search_vector)")
    op.execute(
        "CREATE INDEX ix_posts_top ON posts (vote_count DESC, created_at DESC, id DESC)"
        " WHERE deleted_at IS NULL"
    )
    op.execute(
        "CREATE INDEX ix_posts_author_feed ON posts (author_id, created_at DESC, id DESC)"
        " WHERE deleted_at IS NULL"
    )
    op.execute("CREATE INDEX ix_posts_deleted_at ON posts (deleted_at) WHERE deleted_at IS NOT NULL")
    op.execute("CREATE INDEX ix_authors_username_lower ON authors (lower(username))")
    op.execute(
        """
        CREATE TABLE media (
            id UUID PRIMARY KEY,
            post_id UUID NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
            owner_id UUID NOT NULL,
            status VARCHAR(16) NOT NULL DEFAULT 'pending',
            content_type VARCHAR(64) NOT NULL,
            size INTEGER NOT NULL,
            upload_key VARCHAR(512) NOT NULL,
            original_key VARCHAR(512),
            thumbnail_key VARCHAR(512),
            width INTEGER,
            height INTEGER,
            failure_reason TEXT,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            CONSTRAINT ck_media_status CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
            CONSTRAINT ck_media_size CHECK (size > 0)
        )
        """
    )
    op.execute("CREATE INDEX ix_media_post_id ON media (post_id, created_at)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS media")
    for index in ("ix_authors_username_lower", "ix_posts_deleted_at", "ix_posts_author_feed", "ix_posts_top"):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    op.execute("DROP INDEX IF EXISTS ix_posts_search")
    op.execute("ALTER TABLE posts DROP COLUMN IF EXISTS search_vector")

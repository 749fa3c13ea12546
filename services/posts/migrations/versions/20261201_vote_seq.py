"""The vote-count read model remembers the seq of the votes event it reflects.

Revision ID: 20261201_posts_vote_seq
Revises: 20261124_posts_search_media
Create Date: 2026-12-01

Votes publishes each post's absolute count with a per-post sequence number (``votes.vote.*``
version 2); posts keeps the count of the highest seq seen, so events in any order, or twice,
converge. 0 means no version-2 event was applied yet (version-1 deltas still move the count then).
"""

from alembic import op

revision = "20261201_posts_vote_seq"
down_revision = "20261124_posts_search_media"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE posts ADD COLUMN vote_seq BIGINT NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE posts DROP COLUMN vote_seq")

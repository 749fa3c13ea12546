"""Authors remember whether auth deactivated the account: a deactivated author's posts are hidden.

Revision ID: 20261201_posts_author_active
Revises: 20261201_posts_vote_seq
Create Date: 2026-12-01
"""

from alembic import op

revision = "20261201_posts_author_active"
down_revision = "20261201_posts_vote_seq"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE authors ADD COLUMN active BOOLEAN NOT NULL DEFAULT true")


def downgrade() -> None:
    op.execute("ALTER TABLE authors DROP COLUMN active")

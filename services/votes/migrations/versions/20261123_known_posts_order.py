"""Order the known-posts read model by when each post state took effect.

Revision ID: 20261123_votes_known_posts_order
Revises: 20261123_votes_initial
Create Date: 2026-11-23
"""

from alembic import op

revision = "20261123_votes_known_posts_order"
down_revision = "20261123_votes_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE known_posts ADD COLUMN changed_at TIMESTAMPTZ")


def downgrade() -> None:
    op.execute("ALTER TABLE known_posts DROP COLUMN changed_at")

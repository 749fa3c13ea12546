"""Pending removals of deleted users' votes, worked off in chunks of their own transactions.

Revision ID: 20261201_votes_purges
Revises: 20261201_votes_tallies
Create Date: 2026-12-01
"""

from alembic import op

revision = "20261201_votes_purges"
down_revision = "20261201_votes_tallies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE vote_purges (
            user_id UUID PRIMARY KEY,
            requested_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS vote_purges")

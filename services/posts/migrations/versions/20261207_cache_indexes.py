"""Indexes for the reads the feed cache still sends to the database, so none scans the table.

Revision ID: 20261207_posts_cache_indexes
Revises: 20261201_posts_author_active
Create Date: 2026-12-07

* ``ix_posts_drafts``: whether a reader has drafts (their feed is then not the shared one); tiny,
  drafts only. Its predicate is spelled as the query spells it, so the planner can match it.
* ``ix_authors_inactive``: the deactivated authors every listing leaves out (``NOT EXISTS``); tiny.
* ``ix_posts_deleted`` replaces ``ix_posts_deleted_at``: the admins' listing orders by
  ``deleted_at DESC, id DESC``; the purge walks the same index backwards.

The test ``test_query_plans`` runs ``EXPLAIN`` on every listing query with sequential scans off.
"""

from alembic import op

revision = "20261207_posts_cache_indexes"
down_revision = "20261201_posts_author_active"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_posts_drafts ON posts (author_id) WHERE deleted_at IS NULL AND published IS false"
    )
    op.execute("CREATE INDEX ix_authors_inactive ON authors (user_id) WHERE active IS false")
    op.execute(
        "CREATE INDEX ix_posts_deleted ON posts (deleted_at DESC, id DESC) WHERE deleted_at IS NOT NULL"
    )
    op.execute("DROP INDEX IF EXISTS ix_posts_deleted_at")


def downgrade() -> None:
    op.execute("CREATE INDEX ix_posts_deleted_at ON posts (deleted_at) WHERE deleted_at IS NOT NULL")
    for index in ("ix_posts_deleted", "ix_authors_inactive", "ix_posts_drafts"):
        op.execute(f"DROP INDEX IF EXISTS {index}")

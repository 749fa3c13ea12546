"""The outbox keeps the trace context of the request that wrote each event.

Revision ID: 20261207_posts_trace_context
Revises: 20261207_posts_idempotency_keys
Create Date: 2026-12-07
"""

from alembic import op

revision = "20261207_posts_trace_context"
down_revision = "20261207_posts_idempotency_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # W3C traceparent/tracestate, null while tracing is off. IF NOT EXISTS: a database created from
    # the initial revision's shared outbox DDL (which now has the column) already holds it.
    op.execute("ALTER TABLE outbox ADD COLUMN IF NOT EXISTS trace_context JSONB")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox DROP COLUMN IF EXISTS trace_context")

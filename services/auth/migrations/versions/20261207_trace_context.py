"""The outbox keeps the trace context of the request that wrote each event.

Revision ID: 20261207_auth_trace_context
Revises: 20261207_auth_idempotency_keys
Create Date: 2026-12-07
"""

from alembic import op

revision = "20261207_auth_trace_context"
down_revision = "20261207_auth_idempotency_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # W3C traceparent/tracestate, null while tracing is off.
    op.execute("ALTER TABLE outbox ADD COLUMN trace_context JSONB")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox DROP COLUMN trace_context")

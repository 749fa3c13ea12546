"""The outbox (and the jobs) keep the trace context of what wrote them.

Revision ID: 20261207_worker_trace_context
Revises: 20261124_worker_job_runner
Create Date: 2026-12-07
"""

from alembic import op

revision = "20261207_worker_trace_context"
down_revision = "20261124_worker_job_runner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # W3C traceparent/tracestate, null while tracing is off.
    op.execute("ALTER TABLE outbox ADD COLUMN trace_context JSONB")
    # A job keeps the context of the event that created it; its run links to that trace.
    op.execute("ALTER TABLE jobs ADD COLUMN trace_context JSONB")


def downgrade() -> None:
    op.execute("ALTER TABLE jobs DROP COLUMN trace_context")
    op.execute("ALTER TABLE outbox DROP COLUMN trace_context")

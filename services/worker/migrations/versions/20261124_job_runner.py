"""Jobs become claimable work (queue, payload, back-off, lease); schedules table.

Revision ID: 20261124_worker_job_runner
Revises: 20261123_worker_initial
Create Date: 2026-11-24
"""

from alembic import op

revision = "20261124_worker_job_runner"
down_revision = "20261123_worker_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE jobs
            ADD COLUMN queue VARCHAR(16) NOT NULL DEFAULT 'default',
            ADD COLUMN payload JSONB NOT NULL DEFAULT '{}',
            ADD COLUMN run_after TIMESTAMPTZ NOT NULL DEFAULT now(),
            ADD COLUMN lease_expires_at TIMESTAMPTZ,
            ADD COLUMN started_at TIMESTAMPTZ,
            ADD CONSTRAINT ck_jobs_status CHECK (status IN ('pending', 'running', 'succeeded', 'failed')),
            ADD CONSTRAINT ck_jobs_attempts CHECK (attempts >= 0)
        """
    )
    # What runners look for: due pending jobs, and running jobs whose lease lapsed.
    op.execute("CREATE INDEX ix_jobs_due ON jobs (queue, run_after) WHERE status = 'pending'")
    op.execute("CREATE INDEX ix_jobs_leased ON jobs (queue, lease_expires_at) WHERE status = 'running'")
    # What operators page through: newest first.
    op.execute("CREATE INDEX ix_jobs_recent ON jobs (created_at DESC, id DESC)")
    op.execute(
        """
        CREATE TABLE schedules (
            name VARCHAR(64) PRIMARY KEY,
            interval_seconds INTEGER NOT NULL CONSTRAINT ck_schedules_interval CHECK (interval_seconds > 0),
            next_run_at TIMESTAMPTZ NOT NULL,
            last_run_at TIMESTAMPTZ
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS schedules")
    for index in ("ix_jobs_recent", "ix_jobs_leased", "ix_jobs_due"):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    op.execute(
        """
        ALTER TABLE jobs
            DROP CONSTRAINT IF EXISTS ck_jobs_attempts,
            DROP CONSTRAINT IF EXISTS ck_jobs_status,
            DROP COLUMN IF EXISTS started_at,
            DROP COLUMN IF EXISTS lease_expires_at,
            DROP COLUMN IF EXISTS run_after,
            DROP COLUMN IF EXISTS payload,
            DROP COLUMN IF EXISTS queue
        """
    )

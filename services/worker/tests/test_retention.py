"""Finished jobs are pruned after JOB_RETENTION_HOURS; newer ones, and unfinished ones, stay."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import text

from worker_service.retention.service import JobPruner
from worker_service.state import state_of


async def test_finished_jobs_older_than_retention_are_pruned(client, app, sql) -> None:
    await state_of(app).job_runners.stop(grace=5)
    try:
        # (status, hours since it finished; None: not finished)
        rows = [("succeeded", 30), ("failed", 25), ("succeeded", 23), ("failed", 1), ("pending", None)]
        rows.append(("running", None))
        async with state_of(app).db.session() as session, session.begin():
            for status, hours in rows:
                await session.execute(
                    text(
                        "INSERT INTO jobs (id, type, queue, status, attempts, payload, created_at,"
                        " finished_at)"
                        " VALUES (:i, 'email.welcome', 'mail', :s, 1, '{}', now() - interval '40 hours',"
                        " CASE WHEN CAST(:h AS int) IS NULL THEN NULL"
                        " ELSE now() - make_interval(hours => CAST(:h AS int)) END)"
                    ),
                    {"i": uuid.uuid4(), "s": status, "h": hours},
                )
        pruner = JobPruner(
            state_of(app).db, retention=timedelta(hours=24), interval_seconds=3600, batch_size=1
        )
        assert await pruner.prune_once() == 2
        left = await sql("SELECT status, finished_at IS NULL AS unfinished FROM jobs ORDER BY status")
        assert sorted((r["status"], r["unfinished"]) for r in left) == [
            ("failed", False),
            ("pending", True),
            ("running", True),
            ("succeeded", False),
        ]
    finally:
        state_of(app).job_runners.start()


async def test_the_worker_runs_the_pruner(app) -> None:
    assert state_of(app).job_pruner._task is not None
    assert state_of(app).settings.job_retention_hours == 336

"""Retention of finished jobs: succeeded and failed jobs are deleted ``JOB_RETENTION_HOURS`` after
they finished (default 336 h, 14 days: long enough to look into a failure and requeue it).

Runs in every worker process every ``JOB_PRUNE_INTERVAL_SECONDS`` (default 3600), in bounded batches,
one transaction each; replicas pruning at once only delete the same rows once. Pending and running
jobs are never touched.

Auth's expired sessions and spent tokens go too, but auth deletes them: a schedule
(``token_cleanup``, every ``TOKEN_CLEANUP_INTERVAL_SECONDS``, default daily) publishes
``worker.tokens.cleanup_requested`` once per slot, however many workers run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from common.db import Database
from common.events.schemas import TokensCleanupRequested
from common.tasks import Periodic
from worker_service.jobs import repository
from worker_service.jobs.scheduler import ScheduleSpec
from worker_service.settings import WorkerSettings

__all__ = ["JobPruner", "token_cleanup"]

log = logging.getLogger("worker_service.retention")


class JobPruner(Periodic):
    name = "jobs-prune"
    log = log

    def __init__(
        self, db: Database, *, retention: timedelta, interval_seconds: float, batch_size: int = 1000
    ) -> None:
        super().__init__(interval_seconds=interval_seconds)
        self.db = db
        self.retention = retention
        self.batch_size = batch_size

    async def run_once(self) -> int:
        return await self.prune_once()

    async def prune_once(self) -> int:
        """Delete every finished job past retention; returns how many went."""
        cutoff = datetime.now(UTC) - self.retention
        total = 0
        while True:
            async with self.db.session() as session, session.begin():
                deleted = await repository.delete_finished(session, cutoff=cutoff, limit=self.batch_size)
            total += deleted
            if deleted < self.batch_size:
                if total:
                    log.info("finished jobs pruned", extra={"count": total})
                return total


def token_cleanup(settings: WorkerSettings) -> ScheduleSpec:
    """Ask auth to purge expired sessions and reset tokens (daily by default)."""
    return ScheduleSpec(
        "token-cleanup",
        settings.token_cleanup_interval_seconds,
        lambda slot: TokensCleanupRequested(scheduled_for=slot),
    )

"""Retention of finished jobs: succeeded and failed jobs are deleted ``JOB_RETENTION_HOURS`` after
they finished (default 336 h, 14 days: long enough to look into a failure and requeue it).

Runs in every worker process every ``JOB_PRUNE_INTERVAL_SECONDS`` (default 3600), in bounded batches,
one transaction each; replicas pruning at once only delete the same rows once. Pending and running
jobs are never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from common.db import Database
from worker_service import repository

__all__ = ["JobPruner"]

log = logging.getLogger("worker_service.retention")


class JobPruner:
    def __init__(
        self, db: Database, *, retention: timedelta, interval_seconds: float, batch_size: int = 1000
    ) -> None:
        self.db = db
        self.retention = retention
        self.interval = interval_seconds
        self.batch_size = batch_size
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="jobs-prune")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run_forever(self) -> None:
        while True:
            try:
                pruned = await self.prune_once()
                if pruned:
                    log.info("finished jobs pruned", extra={"count": pruned})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("job prune pass failed", extra={"error": repr(exc)[:300]})
            await asyncio.sleep(self.interval)

    async def prune_once(self) -> int:
        """Delete every finished job past retention; returns how many went."""
        cutoff = datetime.now(UTC) - self.retention
        total = 0
        while True:
            async with self.db.session() as session, session.begin():
                deleted = await repository.delete_finished(session, cutoff=cutoff, limit=self.batch_size)
            total += deleted
            if deleted < self.batch_size:
                return total

"""The retention purge: soft-deleted posts older than POST_RETENTION_DAYS are removed for good.

Runs inside the service on a schedule (every PURGE_INTERVAL_SECONDS, with the other background work),
in batches claimed with ``FOR UPDATE SKIP LOCKED`` so several replicas share it without clashing.
A batch's rows (and, by cascade, its media rows) are deleted in one transaction; the stored files are
deleted after the commit, best effort: a file left behind is garbage, never a dangling reference.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from common.db import Database, utcnow
from common.storage import ObjectStorage
from common.tasks import Periodic
from posts_service.media import repository as media_repository
from posts_service.posts import repository

__all__ = ["Purger"]

log = logging.getLogger("posts_service.purge")


class Purger(Periodic):
    """The retention purge, every ``interval_seconds`` (``common.tasks.Periodic``: start, loop, stop)."""

    name = "posts-purge"
    log = log

    def __init__(
        self,
        db: Database,
        storage: ObjectStorage,
        *,
        retention: timedelta,
        interval_seconds: float,
        batch_size: int = 500,
    ) -> None:
        super().__init__(interval_seconds=interval_seconds)
        self.db = db
        self.storage = storage
        self.retention = retention
        self.batch_size = batch_size

    async def run_once(self) -> int:
        purged = await self.purge_once()
        if purged:
            log.info("purged deleted posts", extra={"count": purged})
        return purged

    async def purge_once(self, now: datetime | None = None) -> int:
        """Purge everything past retention at ``now``; returns how many posts went."""
        cutoff = (now or utcnow()) - self.retention
        total = 0
        while True:
            async with self.db.session() as session, session.begin():
                post_ids = await repository.claim_expired(session, cutoff, self.batch_size)
                if not post_ids:
                    return total
                keys = await media_repository.storage_keys(session, post_ids)
                await repository.delete_posts(session, post_ids)
            await self._delete_files(keys)
            total += len(post_ids)
            if len(post_ids) < self.batch_size:
                return total

    async def _delete_files(self, keys: list[str]) -> None:
        for key in keys:
            try:
                await self.storage.delete(key)
            except Exception as exc:
                log.warning("could not delete a purged file", extra={"key": key, "error": repr(exc)[:200]})

"""Removing a deleted user's votes, chunk by chunk, each chunk in its own short transaction.

``auth.user.deleted`` only records a pending purge (``vote_purges``) in the consumer's transaction,
so the consumer never holds thousands of row locks or runs for long. The purger works the pending
purges off: each pass claims one user (``FOR UPDATE SKIP LOCKED``, so replicas share the work),
removes one chunk of their votes with its events (:func:`service.remove_user_votes_chunk`), and
forgets the purge with the last chunk, all in one transaction. A crash loses nothing: the purge row
stays until its last chunk commits, and the next pass (woken by the consumer, or every
``interval_seconds``) goes on where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from common.db import Database
from common.events import Envelope
from common.events.schemas import UserDeleted
from votes_service import repository, service

__all__ = ["VotePurger"]

log = logging.getLogger("votes_service.purge")


class VotePurger:
    def __init__(self, db: Database, *, chunk_size: int = 1000, interval_seconds: float = 30.0) -> None:
        self.db = db
        self.chunk_size = chunk_size
        self.interval = interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name="votes-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def after_commit(self, events: Sequence[Envelope]) -> None:
        """The consumer's hook: a user deletion just committed its purge row; start on it now."""
        if any(event.type == UserDeleted.TYPE for event in events):
            self._wake.set()

    async def _run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                removed = await self.purge_pending()
                if removed:
                    log.info("removed deleted users' votes", extra={"count": removed})
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("vote purge pass failed", extra={"error": repr(exc)[:300]})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)

    async def purge_chunk(self) -> int | None:
        """One chunk of one pending purge in one transaction; ``None`` when nothing is pending."""
        async with self.db.session() as session, session.begin():
            user_id = await repository.claim_vote_purge(session)
            if user_id is None:
                return None
            removed = await service.remove_user_votes_chunk(session, user_id, limit=self.chunk_size)
            if removed < self.chunk_size:
                await repository.finish_vote_purge(session, user_id)
            return removed

    async def purge_pending(self) -> int:
        """Work every pending purge off; returns how many votes went."""
        total = 0
        while (removed := await self.purge_chunk()) is not None:
            total += removed
        return total

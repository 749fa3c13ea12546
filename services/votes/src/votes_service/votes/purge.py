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

import logging
from collections.abc import Sequence

from common.db import Database
from common.events import Envelope
from common.events.schemas import UserDeleted
from common.tasks import Periodic
from votes_service.votes import repository, service

__all__ = ["VotePurger"]

log = logging.getLogger("votes_service.purge")


class VotePurger(Periodic):
    """Works the pending purges off: every ``interval_seconds``, and at once when woken."""

    name = "votes-purge"
    log = log

    def __init__(self, db: Database, *, chunk_size: int = 1000, interval_seconds: float = 30.0) -> None:
        super().__init__(interval_seconds=interval_seconds)
        self.db = db
        self.chunk_size = chunk_size

    async def after_commit(self, events: Sequence[Envelope]) -> None:
        """The consumer's hook: a user deletion just committed its purge row; start on it now."""
        if any(event.type == UserDeleted.TYPE for event in events):
            self.wake()

    async def run_once(self) -> int:
        return await self.purge_pending()

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
        if total:
            log.info("removed deleted users' votes", extra={"count": total})
        return total

"""Reconcile the vote-count read model with votes' truth, and report what was repaired.

    python -m posts_service.cli reconcile [--votes-url URL] [--batch-size N] [--dry-run]

Walks every post (deleted ones too: a restore brings their count back) in id order, in batches; for
each batch it asks votes for the posts' tallies (``POST /internal/votes/tallies``, not routed by the
gateway) and sets every count that differs. A repair is conditional on the stored seq being no newer
than votes' answer, so an event applied while the command runs is never undone. Repaired posts'
cached responses are invalidated. Prints one JSON report; exits 0 (even when it repaired: drift is
what it is for), 2 when votes could not be asked.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import httpx
import redis.asyncio as aioredis

from common.db import Database
from common.http import create_http_client
from posts_service.posts import repository
from posts_service.posts.cache import ResponseCache
from posts_service.settings import PostsSettings

__all__ = ["Repair", "Report", "VoteCountReconciler", "reconcile_vote_counts"]

log = logging.getLogger("posts_service.reconcile")
TALLIES_PATH = "/internal/votes/tallies"


@dataclass(frozen=True, slots=True)
class Repair:
    post_id: uuid.UUID
    was: int
    now: int
    seq: int


@dataclass(slots=True)
class Report:
    checked: int = 0
    repaired: list[Repair] = field(default_factory=list)
    #: Differed when read, but a newer event had set the count by the time of the repair.
    skipped: int = 0
    dry_run: bool = False

    def as_json(self) -> str:
        body = asdict(self)
        body["repaired_count"] = len(self.repaired)
        return json.dumps(body, default=str)


class VoteCountReconciler:
    def __init__(
        self,
        db: Database,
        votes: httpx.AsyncClient,
        *,
        cache: ResponseCache | None = None,
        batch_size: int = 500,
    ) -> None:
        self.db = db
        self.votes = votes
        self.cache = cache
        self.batch_size = batch_size

    async def _truth(self, post_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
        response = await self.votes.post(TALLIES_PATH, json={"post_ids": [str(p) for p in post_ids]})
        response.raise_for_status()
        return {
            uuid.UUID(t["post_id"]): (int(t["vote_count"]), int(t["seq"])) for t in response.json()["tallies"]
        }

    async def run(self, *, dry_run: bool = False) -> Report:
        report = Report(dry_run=dry_run)
        after: uuid.UUID | None = None
        while True:
            async with self.db.session() as session:
                stored = await repository.vote_counts_after(session, after, self.batch_size)
            if not stored:
                return report
            after = stored[-1][0]
            report.checked += len(stored)
            truth = await self._truth([post_id for post_id, _, _ in stored])
            await self._repair(report, stored, truth)
            if len(stored) < self.batch_size:
                return report

    async def _repair(
        self,
        report: Report,
        stored: list[tuple[uuid.UUID, int, int]],
        truth: dict[uuid.UUID, tuple[int, int]],
    ) -> None:
        drifted = [
            Repair(post_id, was=count, now=truth[post_id][0], seq=truth[post_id][1])
            for post_id, count, _ in stored
            if post_id in truth and truth[post_id][0] != count
        ]
        if not drifted:
            return
        if report.dry_run:
            report.repaired.extend(drifted)
            return
        async with self.db.session() as session, session.begin():
            for repair in drifted:
                if await repository.repair_vote_count(session, repair.post_id, repair.now, repair.seq):
                    report.repaired.append(repair)
                else:
                    report.skipped += 1
        for repair in drifted:
            log.warning(
                "vote count repaired",
                extra={"post_id": str(repair.post_id), "was": repair.was, "now": repair.now},
            )
        if self.cache is not None:
            await self.cache.invalidate(r.post_id for r in drifted)


async def reconcile_vote_counts(
    settings: PostsSettings, *, votes_url: str, batch_size: int = 500, dry_run: bool = False
) -> Report:
    """One whole run on the service's database and cache, asking votes at ``votes_url``."""
    db = Database(settings.database_url, pool_size=2)
    redis = aioredis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        async with create_http_client(votes_url, timeout=30) as client:
            cache = ResponseCache(redis, ttl_seconds=settings.cache_ttl_seconds)
            reconciler = VoteCountReconciler(db, client, cache=cache, batch_size=batch_size)
            return await reconciler.run(dry_run=dry_run)
    finally:
        await redis.aclose()
        await db.dispose()

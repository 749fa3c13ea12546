"""Tier limits held in process memory, so forwardAuth never touches the database.

Every process loads all tiers at start, reloads them when an admin changes one (a Redis pub/sub
notice, sent after the change committed) and, as a safety net for a lost notice, every
``refresh_seconds``. Until the first load succeeds no tier limit applies (fail open: a database
outage must not lock every user out).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis

from auth_service.accounts.models import DEFAULT_TIER
from auth_service.tiers import repository
from auth_service.tiers.models import Tier, TierLimit
from common import Database
from common.ratelimit import Limit

__all__ = ["Rule", "TierCache"]

log = logging.getLogger("auth.tiers")


@dataclass(frozen=True, slots=True)
class Rule:
    prefix: str
    limit: Limit


class TierCache:
    def __init__(
        self, db: Database, redis: aioredis.Redis, *, channel: str, refresh_seconds: float = 30.0
    ) -> None:
        self.db = db
        self.redis = redis
        self.channel = channel
        self.refresh_seconds = refresh_seconds
        self.default_tier = DEFAULT_TIER
        self._rules: dict[str, tuple[Rule, ...]] = {}
        self._task: asyncio.Task[None] | None = None

    def rules_for(self, tier: str, path: str) -> list[Rule]:
        """The limits that apply to ``path`` for a caller of ``tier`` (unknown tier: the default's)."""
        rules = self._rules.get(tier)
        if rules is None:
            rules = self._rules.get(self.default_tier, ())
        return [rule for rule in rules if path.startswith(rule.prefix)]

    def load(self, tiers: Sequence[Tier], limits: Sequence[TierLimit]) -> None:
        rules: dict[str, list[Rule]] = {tier.name: [] for tier in tiers}
        for item in limits:
            rules.setdefault(item.tier_name, []).append(
                Rule(item.path_prefix, Limit(item.request_limit, item.period_seconds))
            )
        self._rules = {name: tuple(items) for name, items in rules.items()}
        self.default_tier = next((t.name for t in tiers if t.is_default), DEFAULT_TIER)

    async def reload(self) -> None:
        async with self.db.session() as session:
            tiers, limits = await repository.all_limits(session)
        self.load(tiers, limits)

    async def notify(self) -> None:
        """Tell every process (this one included) to reload; called after a change committed.

        A failure here is logged, not raised: the periodic reload picks the change up anyway.
        """
        try:
            await self.reload()
            await self.redis.publish(self.channel, "changed")
        except Exception as exc:
            log.warning("tier change notice not sent", extra={"error": repr(exc)[:300]})

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow_forever(), name="tier-cache")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _follow_forever(self) -> None:
        loaded_at = 0.0
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None or time.monotonic() - loaded_at > self.refresh_seconds:
                        await self.reload()
                        loaded_at = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis or the database is away: keep the last limits, retry
                log.warning("tier limits not refreshed", extra={"error": repr(exc)[:300]})
                await asyncio.sleep(2)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]

"""Fixed-window rate limits in Redis, shared by every place that limits (forwardAuth, login, votes).

A window is ``period`` seconds long; a key's counter lives one window. Fixed windows allow up to
twice the limit across a window boundary; that is the accepted price of one round trip per check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from common.errors import TooManyRequests

__all__ = ["Decision", "Limit", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class Limit:
    count: int
    period_seconds: int


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_after: int

    def headers(self) -> dict[str, str]:
        """IETF ``RateLimit-*`` headers, plus ``Retry-After`` when refused."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_after)
        return headers


class RateLimiter:
    #: ``queue_hit`` adds this many commands to a pipeline (INCR, then EXPIRE).
    COMMANDS_PER_HIT = 2

    def __init__(self, redis: aioredis.Redis, *, prefix: str = "ratelimit") -> None:
        self.redis = redis
        self.prefix = prefix

    def _window(self, key: str, limit: Limit, now: float) -> tuple[str, int]:
        window = int(now // limit.period_seconds)
        return f"{self.prefix}:{key}:{limit.period_seconds}:{window}", window

    @staticmethod
    def _decide(count: int, limit: Limit, window: int, now: float) -> Decision:
        reset_after = max(1, int((window + 1) * limit.period_seconds - now) + 1)
        return Decision(
            allowed=count <= limit.count,
            limit=limit.count,
            remaining=max(0, limit.count - count),
            reset_after=reset_after,
        )

    def queue_hit(
        self, pipe: aioredis.client.Pipeline, key: str, limit: Limit, now: float | None = None
    ) -> Callable[[int], Decision]:
        """Queue one hit on a caller's pipeline, so several checks share one round trip.

        Returns the function that turns the INCR result (the first of the ``COMMANDS_PER_HIT``
        results this adds) into a decision.
        """
        now = time.time() if now is None else now
        redis_key, window = self._window(key, limit, now)
        pipe.incr(redis_key)
        pipe.expire(redis_key, limit.period_seconds + 1)
        return lambda count: self._decide(int(count), limit, window, now)

    async def hit(self, key: str, limit: Limit) -> Decision:
        """Count one request against ``key`` and say whether it is within ``limit``."""
        async with self.redis.pipeline(transaction=True) as pipe:
            decide = self.queue_hit(pipe, key, limit)
            count, _ = await pipe.execute()
        return decide(count)

    async def peek(self, key: str, limit: Limit) -> Decision:
        """Where ``key`` stands in its current window, without counting a request.

        For limits that count only failures (a wrong password): check first, hit on failure.
        The decision says whether one more request would still be allowed.
        """
        now = time.time()
        redis_key, window = self._window(key, limit, now)
        count = int(await self.redis.get(redis_key) or 0)
        return self._decide(count + 1, limit, window, now)

    async def enforce(self, key: str, limit: Limit, message: str) -> Decision:
        """``hit``, raising 429 (with ``Retry-After``) when over the limit."""
        decision = await self.hit(key, limit)
        if not decision.allowed:
            raise TooManyRequests(
                f"{message}; retry in {decision.reset_after}s", retry_after=decision.reset_after
            )
        return decision

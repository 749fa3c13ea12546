"""Fixed-window rate limits in Redis, shared by every place that limits (forwardAuth, login, votes).

A window is ``period`` seconds long; a key's counter lives one window. Fixed windows allow up to
twice the limit across a window boundary; that is the accepted price of one round trip per check.
"""

from __future__ import annotations

import time
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
    def __init__(self, redis: aioredis.Redis, *, prefix: str = "ratelimit") -> None:
        self.redis = redis
        self.prefix = prefix

    async def hit(self, key: str, limit: Limit) -> Decision:
        """Count one request against ``key`` and say whether it is within ``limit``."""
        now = time.time()
        window = int(now // limit.period_seconds)
        redis_key = f"{self.prefix}:{key}:{limit.period_seconds}:{window}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(redis_key)
            pipe.expire(redis_key, limit.period_seconds + 1)
            count, _ = await pipe.execute()
        reset_after = max(1, int((window + 1) * limit.period_seconds - now) + 1)
        return Decision(
            allowed=count <= limit.count,
            limit=limit.count,
            remaining=max(0, limit.count - count),
            reset_after=reset_after,
        )

    async def enforce(self, key: str, limit: Limit, message: str) -> Decision:
        """``hit``, raising 429 (with ``Retry-After``) when over the limit."""
        decision = await self.hit(key, limit)
        if not decision.allowed:
            raise TooManyRequests(
                f"{message}; retry in {decision.reset_after}s", retry_after=decision.reset_after
            )
        return decision

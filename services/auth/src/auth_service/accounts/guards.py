"""Brute-force protection: per client address and per account limits in Redis, from settings.

Account keys are hashed so Redis never holds e-mail addresses. Sign-in counts only failures per
account (a user who types the right password is never locked out by their own successes). Checking
first and counting after the slow password check would let every guess in flight pass the check
before any is counted, so an attempt is reserved atomically (one ``INCR``) before the password is
verified and refunded when it was right. The other flows count every request.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

from redis.exceptions import RedisError

from auth_service.settings import AuthSettings
from common import ServiceUnavailable, TooManyRequests
from common.ratelimit import RateLimiter

__all__ = ["Attempt", "BruteForceGuard", "redis_or_503"]

_MESSAGES = {
    "login": "Too many sign-in attempts",
    "register": "Too many sign-ups",
    "forgot": "Too many password reset requests",
    "verify_request": "Too many verification e-mails requested",
}


#: Decrement only a counter that still exists: a window that ended meanwhile is not brought back
#: (without an expiry) at -1.
_REFUND = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end return 0"


@contextlib.contextmanager
def redis_or_503() -> Iterator[None]:
    """Without Redis, limits and revocations cannot be checked: refuse (503) rather than guess."""
    try:
        yield
    except RedisError:
        raise ServiceUnavailable("A required service is unavailable; try again shortly") from None


def _account_key(account: str) -> str:
    return hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One reserved password attempt: the window counter it was taken from, to refund it."""

    key: str


class BruteForceGuard:
    def __init__(self, limiter: RateLimiter, settings: AuthSettings) -> None:
        self.limiter = limiter
        self.settings = settings

    async def per_ip(self, flow: str, ip: str) -> None:
        """Count one request from ``ip``; 429 when over the flow's per-address limit."""
        with redis_or_503():
            await self.limiter.enforce(
                f"{flow}:ip:{ip}", self.settings.limit(f"{flow}_ip"), f"{_MESSAGES[flow]} from this address"
            )

    async def per_account(self, flow: str, account: str) -> None:
        with redis_or_503():
            await self.limiter.enforce(
                f"{flow}:account:{_account_key(account)}",
                self.settings.limit(f"{flow}_account"),
                f"{_MESSAGES[flow]} for this account",
            )

    async def reserve_attempt(self, flow: str, account: str) -> Attempt:
        """Count one password attempt for ``account`` before checking it; 429 over the limit.

        The increment is the check (atomic in Redis), so concurrent guesses cannot all slip under
        the limit. Give the attempt back with ``refund`` when the password was right.
        """
        limit = self.settings.limit(f"{flow}_account")
        now = time.time()
        window = int(now // limit.period_seconds)
        key = f"{self.limiter.prefix}:{flow}:attempts:{_account_key(account)}:{limit.period_seconds}:{window}"
        with redis_or_503():
            async with self.limiter.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, limit.period_seconds + 1)
                count, _ = await pipe.execute()
        if int(count) > limit.count:
            reset_after = max(1, int((window + 1) * limit.period_seconds - now) + 1)
            raise TooManyRequests(
                f"{_MESSAGES[flow]} for this account; retry in {reset_after}s", retry_after=reset_after
            )
        return Attempt(key)

    async def refund(self, attempt: Attempt) -> None:
        """Give back an attempt whose password was right (successes never lock an account)."""
        with redis_or_503():
            await self.limiter.redis.eval(_REFUND, 1, attempt.key)

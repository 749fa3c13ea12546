"""Brute-force protection: per client address and per account limits in Redis, from settings.

Account keys are hashed so Redis never holds e-mail addresses. Sign-in counts only failures per
account (a user who types the right password is never locked out by their own successes), so it
checks first (``peek``) and counts on failure; the other flows count every request.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator

from redis.exceptions import RedisError

from auth_service.settings import AuthSettings
from common import ServiceUnavailable, TooManyRequests
from common.ratelimit import RateLimiter

__all__ = ["BruteForceGuard", "redis_or_503"]

_MESSAGES = {
    "login": "Too many sign-in attempts",
    "register": "Too many sign-ups",
    "forgot": "Too many password reset requests",
    "verify_request": "Too many verification e-mails requested",
}


@contextlib.contextmanager
def redis_or_503() -> Iterator[None]:
    """Without Redis, limits and revocations cannot be checked: refuse (503) rather than guess."""
    try:
        yield
    except RedisError:
        raise ServiceUnavailable("A required service is unavailable; try again shortly") from None


def _account_key(account: str) -> str:
    return hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]


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

    async def check_failures(self, flow: str, account: str) -> None:
        """429 when the account already reached its failure limit; counts nothing."""
        with redis_or_503():
            decision = await self.limiter.peek(
                f"{flow}:account:{_account_key(account)}", self.settings.limit(f"{flow}_account")
            )
        if not decision.allowed:
            raise TooManyRequests(
                f"{_MESSAGES[flow]} for this account; retry in {decision.reset_after}s",
                retry_after=decision.reset_after,
            )

    async def count_failure(self, flow: str, account: str) -> None:
        with redis_or_503():
            await self.limiter.hit(
                f"{flow}:account:{_account_key(account)}", self.settings.limit(f"{flow}_account")
            )

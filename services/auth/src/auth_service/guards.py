"""Brute-force protection: per client address and per account limits in Redis, from settings.

Account keys are hashed so Redis never holds e-mail addresses. Sign-in counts only failures per
account (a user who types the right password is never locked out by their own successes), so it
checks first (``peek``) and counts on failure; the other flows count every request.
"""

from __future__ import annotations

import hashlib

from auth_service.settings import AuthSettings
from common import TooManyRequests
from common.ratelimit import RateLimiter

__all__ = ["BruteForceGuard"]

_MESSAGES = {
    "login": "Too many sign-in attempts",
    "register": "Too many sign-ups",
    "forgot": "Too many password reset requests",
    "verify_request": "Too many verification e-mails requested",
}


def _account_key(account: str) -> str:
    return hashlib.sha256(account.strip().lower().encode()).hexdigest()[:32]


class BruteForceGuard:
    def __init__(self, limiter: RateLimiter, settings: AuthSettings) -> None:
        self.limiter = limiter
        self.settings = settings

    async def per_ip(self, flow: str, ip: str) -> None:
        """Count one request from ``ip``; 429 when over the flow's per-address limit."""
        await self.limiter.enforce(
            f"{flow}:ip:{ip}", self.settings.limit(f"{flow}_ip"), f"{_MESSAGES[flow]} from this address"
        )

    async def per_account(self, flow: str, account: str) -> None:
        await self.limiter.enforce(
            f"{flow}:account:{_account_key(account)}",
            self.settings.limit(f"{flow}_account"),
            f"{_MESSAGES[flow]} for this account",
        )

    async def check_failures(self, flow: str, account: str) -> None:
        """429 when the account already reached its failure limit; counts nothing."""
        decision = await self.limiter.peek(
            f"{flow}:account:{_account_key(account)}", self.settings.limit(f"{flow}_account")
        )
        if not decision.allowed:
            raise TooManyRequests(
                f"{_MESSAGES[flow]} for this account; retry in {decision.reset_after}s",
                retry_after=decision.reset_after,
            )

    async def count_failure(self, flow: str, account: str) -> None:
        await self.limiter.hit(
            f"{flow}:account:{_account_key(account)}", self.settings.limit(f"{flow}_account")
        )

"""Revocation that takes effect at once: Redis keys for revoked sessions and tokens.

A key lives as long as the longest access token it could still stop, so the set stays small.
"""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis

__all__ = ["Denylist"]


class Denylist:
    def __init__(self, redis: aioredis.Redis, *, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    @staticmethod
    def _session_key(session_id: uuid.UUID | str) -> str:
        return f"denylist:sid:{session_id}"

    @staticmethod
    def _token_key(token_id: str) -> str:
        return f"denylist:jti:{token_id}"

    async def revoke_session(self, session_id: uuid.UUID) -> None:
        await self.redis.set(self._session_key(session_id), "1", ex=self.ttl)

    async def revoke_token(self, token_id: str, *, remaining_seconds: int) -> None:
        await self.redis.set(self._token_key(token_id), "1", ex=max(1, remaining_seconds))

    async def is_revoked(self, session_id: uuid.UUID | str, token_id: str) -> bool:
        return bool(await self.redis.exists(self._session_key(session_id), self._token_key(token_id)))

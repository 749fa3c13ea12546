"""Revocation that takes effect at once: Redis keys for revoked sessions and tokens.

A session key lives as long as the longest access token it could still stop (the access-token
lifetime plus the verifier's clock leeway), so the set stays small and needs no cleanup. The keys are
laid out by ``common.identity``, which every service uses to refuse revoked tokens itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import redis.asyncio as aioredis

from common.identity import revoked_session_key, revoked_token_key

__all__ = ["Denylist"]


class Denylist:
    def __init__(self, redis: aioredis.Redis, *, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    # The key layout is common's: every service reads these keys on its own port.
    _session_key = staticmethod(revoked_session_key)
    _token_key = staticmethod(revoked_token_key)

    async def revoke_session(self, session_id: uuid.UUID) -> None:
        await self.revoke_sessions([session_id])

    async def revoke_sessions(self, session_ids: Iterable[uuid.UUID]) -> None:
        """Deny every access token of these sessions, in one round trip."""
        keys = [self._session_key(sid) for sid in session_ids]
        if not keys:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, "1", ex=self.ttl)
            await pipe.execute()

    async def revoke_token(self, token_id: str, *, remaining_seconds: int) -> None:
        await self.redis.set(self._token_key(token_id), "1", ex=max(1, remaining_seconds))

    def queue_check(self, pipe: aioredis.client.Pipeline, session_id: uuid.UUID | str, token_id: str) -> None:
        """Add the check to a caller's pipeline; its one result is non-zero when revoked."""
        pipe.exists(self._session_key(session_id), self._token_key(token_id))

    async def is_revoked(self, session_id: uuid.UUID | str, token_id: str) -> bool:
        return bool(await self.redis.exists(self._session_key(session_id), self._token_key(token_id)))

"""The pair a refresh token was just rotated into, kept a few seconds for a second tab's refresh.

Two tabs of one browser share the refresh cookie and may both refresh at once: the second one
presents the token the first just rotated. Taken as reuse, that would sign the user out, so for
``REFRESH_REUSE_GRACE_SECONDS`` the rotated token answers with the same new pair instead.

Nothing usable rests in clear: the Redis key is the presented token's hash (what the database keeps
too) and the pair is sealed (AES-GCM) with a key derived from the presented token's secret, which
only its holder has. The entry expires with the grace window; after it, reuse revokes the session.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os

import redis.asyncio as aioredis
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError
from redis.exceptions import RedisError

from auth_service.sessions.schemas import TokenPair

__all__ = ["RecentRotations"]

log = logging.getLogger("auth.sessions")

_NONCE_BYTES = 12


def _cipher(secret: str) -> AESGCM:
    return AESGCM(hashlib.sha256(b"refresh-grace\x00" + secret.encode()).digest())


class RecentRotations:
    def __init__(self, redis: aioredis.Redis, *, grace_seconds: int) -> None:
        self.redis = redis
        self.grace_seconds = grace_seconds

    @staticmethod
    def _key(presented_hash: str) -> str:
        return f"auth:refresh:rotated:{presented_hash}"

    async def remember(self, secret: str, presented_hash: str, pair: TokenPair) -> None:
        """Keep ``pair`` as the answer to ``secret`` for the grace window (best effort)."""
        if self.grace_seconds <= 0:
            return
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + _cipher(secret).encrypt(
            nonce, pair.model_dump_json().encode(), presented_hash.encode()
        )
        try:
            await self.redis.set(
                self._key(presented_hash), base64.b64encode(sealed).decode(), ex=self.grace_seconds
            )
        except RedisError as exc:  # the refresh still works; only a second tab's would be refused
            log.warning("could not keep the rotated pair for the grace window", extra={"error": repr(exc)})

    async def recall(self, secret: str, presented_hash: str) -> TokenPair | None:
        """The pair ``secret`` was rotated into within the grace window, or None.

        Raises ``RedisError`` when Redis cannot answer: the caller must not take that for reuse.
        """
        if self.grace_seconds <= 0:
            return None
        stored = await self.redis.get(self._key(presented_hash))
        if stored is None:
            return None
        sealed = base64.b64decode(stored)
        try:
            plain = _cipher(secret).decrypt(
                sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], presented_hash.encode()
            )
            return TokenPair.model_validate_json(plain)
        except (InvalidTag, ValidationError, ValueError):
            return None

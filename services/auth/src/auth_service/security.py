"""Password hashing (Argon2id, off the event loop) and token issuing."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
import uuid
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth_service.keys import KeyRing
from auth_service.models import Session, User
from auth_service.settings import AuthSettings
from common.identity import ACCESS_TOKEN_TYPE

__all__ = ["Passwords", "TokenIssuer", "hash_refresh_secret"]


class Passwords:
    def __init__(self, settings: AuthSettings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # Verified against when the login names no user, so both paths cost the same.
        self._dummy = self.hasher.hash(secrets.token_urlsafe(16))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        def _verify() -> bool:
            try:
                return (
                    self.hasher.verify(password_hash or self._dummy, password) and password_hash is not None
                )
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(_verify)


def hash_refresh_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenIssuer:
    def __init__(self, keyring: KeyRing, settings: AuthSettings) -> None:
        self.keyring = keyring
        self.settings = settings

    def access_token(self, user: User, session: Session) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "sub": str(user.id),
            "iat": now,
            "nbf": now,
            "exp": now + self.settings.access_token_ttl_seconds,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS_TOKEN_TYPE,
            "sid": str(session.id),
            "name": user.username,
            "role": user.role,
            "tier": user.tier,
            "email_verified": user.email_verified,
        }
        key = self.keyring.current
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    @staticmethod
    def new_refresh_token(session_id: uuid.UUID) -> tuple[str, str]:
        """A refresh token ``<session id>.<secret>`` and the hash stored for it."""
        secret = secrets.token_urlsafe(32)
        return f"{session_id}.{secret}", hash_refresh_secret(secret)

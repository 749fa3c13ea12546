"""Password hashing (Argon2id, off the event loop) and token issuing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
import uuid
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from auth_service.accounts.models import User
from auth_service.keys.keyring import KeyRing
from auth_service.sessions.models import DeviceSession
from auth_service.settings import AuthSettings
from common.identity import ACCESS_TOKEN_TYPE

__all__ = [
    "Passwords",
    "TokenIssuer",
    "csrf_token_for",
    "csrf_token_matches",
    "hash_token",
    "new_one_time_token",
    "split_refresh_token",
]


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

    def needs_rehash(self, password_hash: str) -> bool:
        """Whether the hash was made with other parameters than today's (upgrade it on sign-in)."""
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True


def hash_token(secret: str) -> str:
    """What is stored for a random token: a leaked table gives no usable token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_one_time_token() -> tuple[str, str]:
    """A mailed single-use token and the hash stored for it."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def split_refresh_token(token: str) -> tuple[uuid.UUID, str] | None:
    """``<session id>.<secret>`` parts, or None when the token has another shape."""
    session_part, _, secret = token.strip().partition(".")
    if not secret or len(secret) > 128:
        return None
    try:
        return uuid.UUID(session_part), secret
    except ValueError:
        return None


def csrf_token_for(refresh_token: str) -> str:
    """The CSRF token that goes with a refresh cookie (signed double submit).

    Derived from the refresh token rather than random, so a forged cookie pair cannot match: an
    attacker able to plant cookies still cannot compute the header value without the refresh token.
    """
    return hashlib.sha256(b"csrf\x00" + refresh_token.encode()).hexdigest()


def csrf_token_matches(refresh_token: str, presented: str | None) -> bool:
    if presented is None:
        return False
    return hmac.compare_digest(csrf_token_for(refresh_token).encode(), presented.encode())


class TokenIssuer:
    def __init__(self, keyring: KeyRing, settings: AuthSettings) -> None:
        self.keyring = keyring
        self.settings = settings

    def access_token(self, user: User, session: DeviceSession) -> str:
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
        return f"{session_id}.{secret}", hash_token(secret)

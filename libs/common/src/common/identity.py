"""Who is calling: access-token verification shared by every service.

Services do not trust the network: each verifies the bearer token itself with auth's public keys
(fetched from JWKS and cached; no database hit). Auth uses the same verifier with its own keys.

A valid signature is not enough: a token of a session that was signed out (logout, password change,
account deletion, ...) must stop working on every port at once, not only behind the gateway. Auth
writes revocations to a denylist in Redis (``revoked_session_key`` / ``revoked_token_key``, the one
layout both sides use); every service asks it once per authenticated request (one ``EXISTS``).

The signature is checked once per token and process, not once per request: ``VerifiedTokens``
remembers a token that verified until its ``exp`` (the denylist is still asked every time).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import httpx
import jwt
import redis.asyncio as aioredis
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from redis.exceptions import RedisError

from common.errors import Forbidden, ServiceUnavailable, Unauthorized

if TYPE_CHECKING:
    from common.state import ServiceState

__all__ = [
    "ACCESS_TOKEN_TYPE",
    "ALGORITHMS",
    "AdminUser",
    "CurrentUser",
    "JWKSKeySource",
    "KeySource",
    "OptionalUser",
    "Principal",
    "TokenVerifier",
    "VerifiedTokens",
    "is_revoked",
    "oauth2_scheme",
    "revoked_session_key",
    "revoked_token_key",
]

log = logging.getLogger("common.identity")

ACCESS_TOKEN_TYPE = "access"  # noqa: S105 (a claim value, not a secret)
#: The only algorithms accepted; ``none`` and HMAC can never verify an access token.
ALGORITHMS = ("RS256",)

#: Shown by the OpenAPI "Authorize" button of every service; the login lives in auth.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: uuid.UUID
    username: str
    role: str
    session_id: uuid.UUID
    token_id: str
    expires_at: int
    tier: str = "free"
    verified: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


KeyLookup = Callable[[str], Any]


class KeySource(Protocol):
    """Where a verifier finds the public key for a ``kid`` (None: unknown)."""

    async def get(self, kid: str) -> Any | None: ...


class JWKSKeySource:
    """Public keys from a JWKS URL, cached for ``ttl``; an unknown ``kid`` triggers a refetch.

    During a rolling deploy the URL may be answered by replicas that do not all know the newest key
    yet, so keys are merged across fetches (a key stays known until a successful fetch more than
    ``ttl`` after it was last served)
    and an unknown ``kid`` may refetch up to ``burst`` times per ``min_refetch`` seconds, which is
    enough to reach another replica but bounds what made-up ``kid`` values can cost.
    """

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        ttl: float = 300,
        min_refetch: float = 10,
        burst: int = 3,
    ):
        self.url = url
        self.client = client
        self.ttl = ttl
        self.min_refetch = min_refetch
        self.burst = burst
        self._keys: dict[str, tuple[Any, float]] = {}  # kid -> (key, when last served)
        self._fetched_at = -float("inf")
        self._recent: list[float] = []  # when the fetches of the current window were made
        self._lock = asyncio.Lock()

    def _known(self, kid: str) -> Any | None:
        # Age is not checked here: while auth cannot be reached, the keys it served last still verify.
        entry = self._keys.get(kid)
        return None if entry is None else entry[0]

    def _may_fetch(self, now: float) -> bool:
        self._recent = [t for t in self._recent if now - t < self.min_refetch]
        return len(self._recent) < self.burst

    async def get(self, kid: str) -> Any | None:
        now = time.monotonic()
        if now - self._fetched_at > self.ttl and self._may_fetch(now):
            async with self._lock:
                if time.monotonic() - self._fetched_at > self.ttl:
                    await self._refresh()
        while self._known(kid) is None and self._may_fetch(time.monotonic()):
            async with self._lock:
                if self._known(kid) is None and self._may_fetch(time.monotonic()):
                    await self._refresh()
        return self._known(kid)

    async def _refresh(self) -> None:
        self._recent.append(time.monotonic())
        try:
            response = await self.client.get(self.url)
            response.raise_for_status()
            keys = {k["kid"]: jwt.PyJWK(k).key for k in response.json()["keys"]}
        except (httpx.HTTPError, KeyError, ValueError, TypeError, jwt.PyJWTError) as exc:
            log.warning("could not fetch JWKS", extra={"url": self.url, "error": str(exc)})
            self._fetched_at = time.monotonic()  # do not hammer auth while it is down
            return
        now = time.monotonic()
        self._keys = {
            **{kid: entry for kid, entry in self._keys.items() if now - entry[1] <= self.ttl},
            **{kid: (key, now) for kid, key in keys.items()},
        }
        self._fetched_at = now


class TokenVerifier:
    def __init__(self, keys: KeySource | dict[str, Any], *, issuer: str, audience: str) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience

    async def _key(self, kid: str) -> Any | None:
        if isinstance(self.keys, dict):
            return self.keys.get(kid)
        return await self.keys.get(kid)

    async def verify(self, token: str, *, token_type: str = ACCESS_TOKEN_TYPE) -> dict[str, Any]:
        """The verified claims, or ``Unauthorized`` saying what is wrong (never why in detail)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized("Malformed token") from None
        if header.get("alg") not in ALGORITHMS:
            raise Unauthorized("Token algorithm not allowed")
        key = await self._key(str(header.get("kid", "")))
        if key is None:
            raise Unauthorized("Unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti", "typ"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("Token expired") from None
        except jwt.PyJWTError:
            raise Unauthorized("Invalid token") from None
        if claims.get("typ") != token_type:
            raise Unauthorized("Wrong token type")
        return claims

    async def principal(self, token: str) -> Principal:
        claims = await self.verify(token)
        try:
            return Principal(
                user_id=uuid.UUID(claims["sub"]),
                username=str(claims["name"]),
                role=str(claims["role"]),
                session_id=uuid.UUID(claims["sid"]),
                token_id=str(claims["jti"]),
                expires_at=int(claims["exp"]),
                tier=str(claims.get("tier", "free")),
                verified=bool(claims.get("email_verified", False)),
            )
        except (KeyError, ValueError):
            raise Unauthorized("Invalid token") from None


class VerifiedTokens:
    """Tokens that passed verification, remembered until they expire (bounded, oldest out first).

    Safe because the same bytes always verify the same way with the same key (keys are added by a
    rotation and removed only after their tokens expired) and expiry is checked again on every hit;
    revocation is not cached (the denylist is asked every time). Only successes are kept, keyed by
    the whole token, so a tampered token can never match an entry.
    """

    def __init__(self, verifier: TokenVerifier, *, max_entries: int = 4096) -> None:
        self.verifier = verifier
        self.max_entries = max_entries
        self._known: dict[str, Principal] = {}

    async def principal(self, token: str) -> Principal:
        known = self._known.get(token)
        if known is not None and known.expires_at > time.time():
            return known
        principal = await self.verifier.principal(token)
        if known is not None:
            del self._known[token]
        elif len(self._known) >= self.max_entries:
            self._known.pop(next(iter(self._known)))
        self._known[token] = principal
        return principal


def revoked_session_key(session_id: uuid.UUID | str) -> str:
    """The denylist key that signs a whole session out (all its access tokens)."""
    return f"denylist:sid:{session_id}"


def revoked_token_key(token_id: str) -> str:
    """The denylist key that stops one access token (by its ``jti``)."""
    return f"denylist:jti:{token_id}"


async def is_revoked(redis: aioredis.Redis, principal: Principal) -> bool:
    """Whether auth revoked the principal's session or token: one round trip."""
    return bool(
        await redis.exists(revoked_session_key(principal.session_id), revoked_token_key(principal.token_id))
    )


async def optional_user(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Principal | None:
    if not token:
        return None
    # Service apps remember verified tokens and have the Redis client of their lifespan (the
    # denylist); a bare app (``app.state.verifier`` only) verifies every time and has no denylist.
    state: ServiceState | None = getattr(request.app.state, "service", None)
    tokens: VerifiedTokens | TokenVerifier = state.verified_tokens if state else request.app.state.verifier
    principal = await tokens.principal(token)
    redis: aioredis.Redis | None = state.redis if state else None
    if redis is not None:
        try:
            revoked = await is_revoked(redis, principal)
        except RedisError:
            # Without the denylist a signed-out token would pass: refuse rather than guess.
            raise ServiceUnavailable("A required service is unavailable; try again shortly") from None
        if revoked:
            raise Unauthorized("This session was signed out; sign in again")
    return principal


async def current_user(principal: Annotated[Principal | None, Depends(optional_user)]) -> Principal:
    if principal is None:
        raise Unauthorized("Not authenticated: send an 'Authorization: Bearer <access token>' header")
    return principal


async def admin_user(principal: Annotated[Principal, Depends(current_user)]) -> Principal:
    if not principal.is_admin:
        raise Forbidden("This needs the admin role")
    return principal


OptionalUser = Annotated[Principal | None, Depends(optional_user)]
CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(admin_user)]

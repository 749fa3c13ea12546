"""The gateway's per-request check: token, revocation and tier limit, with no database.

The hot path is ONE Redis round trip: the denylist lookup and the rate-limit counters go in a single
pipeline. Tier limits come from process memory (``TierCache``), and a token that verified once is
remembered until it expires (``common.identity.VerifiedTokens``, which every service uses too), so
a client reusing its token costs no RSA work.
Anonymous callers are limited per client address under the default tier; signed-in callers per
user under the tier in their token. A request without ``X-Forwarded-Uri`` did not come through the
gateway and is not rate-limited.

Before anything else the client's ``X-Client-Version`` is checked (``client_version``): 400 or 426.
On the routes anyone may call (``ANONYMOUS_PATHS``: sign-up, sign-in, refresh, password reset,
e-mail verification, JWKS, the docs page) a token that does not verify, or whose session was
signed out, is ignored rather than refused: the request goes on as anonymous, so a client holding
an expired access token can still refresh or sign in. Anywhere else such a token is a 401.

No HTTP types here: ``auth_service.hotpath`` turns the request into the arguments of
``ForwardAuth.check`` and its ``Verdict`` into the answer, ahead of FastAPI's routing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from auth_service.forward_auth.client_version import ClientVersionPolicy
from auth_service.sessions.denylist import Denylist
from auth_service.tiers.cache import TierCache
from common import Principal, ServiceUnavailable, Unauthorized
from common.identity import VerifiedTokens
from common.ratelimit import Decision, RateLimiter

__all__ = [
    "ANONYMOUS_PATHS",
    "FORWARD_AUTH_PATH",
    "IDENTITY_HEADERS",
    "ForwardAuth",
    "Verdict",
    "VerifiedTokens",
    "anonymous_allowed",
]

#: Where the gateway asks (``GET``, headers only); served by ``common.middleware.FastPaths``
#: (``auth_service.hotpath``).
FORWARD_AUTH_PATH = "/internal/forward-auth"

IDENTITY_HEADERS = (
    "X-User-Id",
    "X-User-Name",
    "X-User-Role",
    "X-Session-Id",
    "X-User-Tier",
    "X-User-Verified",
)

#: Auth's routes that need no token (as the gateway sends them in ``X-Forwarded-Uri``, query removed).
ANONYMOUS_PATHS = frozenset(
    {
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/login/json",
        "/api/v1/auth/refresh",
        "/api/v1/auth/password/forgot",
        "/api/v1/auth/password/reset",
        "/api/v1/auth/verify",
        "/api/v1/auth/.well-known/jwks.json",
        "/.well-known/jwks.json",
        "/docs",
        "/redoc",
        "/reset-password",
        "/verify-email",
    }
)
_ANONYMOUS_PREFIXES = ("/docs/", "/account-pages/")


def anonymous_allowed(path: str) -> bool:
    """Whether ``path`` (raw, as routed) is one of the routes anyone may call.

    Compared byte for byte: a path that only decodes to one of these (``%6Cogin``) does not count,
    which errs on the side of refusing. Misjudging could at worst let a stale token through as
    anonymous; the services verify tokens themselves, so it could never grant an identity.
    """
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    return path in ANONYMOUS_PATHS or path.startswith(_ANONYMOUS_PREFIXES)


def identity_headers(principal: Principal) -> dict[str, str]:
    """The headers the gateway copies onto the routed request: who the caller is."""
    values = (
        str(principal.user_id),
        principal.username,
        principal.role,
        str(principal.session_id),
        principal.tier,
        "true" if principal.verified else "false",
    )
    return dict(zip(IDENTITY_HEADERS, values, strict=True))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the check decided: pass (as ``principal``, or anonymous) unless a limit ``refused`` it."""

    principal: Principal | None = None
    #: The tier limits this request went over; none means it passes.
    refused: tuple[Decision, ...] = ()


_ANONYMOUS = Verdict()


class ForwardAuth:
    def __init__(
        self,
        tokens: VerifiedTokens,
        denylist: Denylist,
        redis: aioredis.Redis,
        tiers: TierCache,
        *,
        min_client_version: str = "0.0.0",
    ) -> None:
        self.versions = ClientVersionPolicy(min_client_version)
        #: the process's remembered tokens (``ServiceState.verified_tokens``), shared with auth's routes
        self.tokens = tokens
        self.denylist = denylist
        self.redis = redis
        self.limiter = RateLimiter(redis, prefix="ratelimit:tier")
        self.tiers = tiers

    async def _principal(self, authorization: str | None) -> Principal | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <access token>'")
        return await self.tokens.principal(token.strip())

    async def check(
        self,
        *,
        client_version: str | None,
        forwarded_uri: str | None,
        authorization: str | None,
        client_address: Callable[[], str],
    ) -> Verdict:
        """The verdict on one routed request, from its headers; ``client_address`` is asked only when
        an anonymous caller is rate limited. Raises ``BadRequest`` or ``UpgradeRequired`` (client
        version), ``Unauthorized`` (a token refused) or ``ServiceUnavailable`` (Redis)."""
        self.versions.check(client_version)
        path = forwarded_uri.split("?", 1)[0] if forwarded_uri is not None else None
        anonymous_ok = path is not None and anonymous_allowed(path)
        try:
            principal = await self._principal(authorization)
        except Unauthorized:
            if not anonymous_ok:
                raise
            principal = None  # a stale token on a route that needs none: carry on without it
        rules = []
        if path is not None:
            tier = principal.tier if principal else self.tiers.default_tier
            rules = self.tiers.rules_for(tier, path)
        if principal is None and not rules:
            return _ANONYMOUS
        subject = f"user:{principal.user_id}" if principal is not None else f"ip:{client_address()}"
        now = time.time()
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                if principal is not None:
                    self.denylist.queue_check(pipe, principal.session_id, principal.token_id)
                deciders = [
                    self.limiter.queue_hit(pipe, f"{subject}:{rule.prefix}", rule.limit, now)
                    for rule in rules
                ]
                results = await pipe.execute()
        except RedisError:
            raise ServiceUnavailable("Cannot check the token right now; try again") from None
        offset = 0
        if principal is not None:
            offset = 1
            if results[0]:
                if not anonymous_ok:
                    raise Unauthorized("This session was signed out; sign in again")
                principal = None  # counted against the user's limits, but passed on as anonymous
        step = RateLimiter.COMMANDS_PER_HIT
        refused = tuple(
            d for i, decide in enumerate(deciders) if not (d := decide(results[offset + i * step])).allowed
        )
        return Verdict(principal, refused)

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
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response

from auth_service.forward_auth.client_version import ClientVersionPolicy
from auth_service.forward_auth.network import client_ip
from auth_service.sessions.denylist import Denylist
from auth_service.tiers.cache import TierCache
from common import Principal, ServiceUnavailable, TokenVerifier, Unauthorized
from common.identity import VerifiedTokens
from common.problems import problem
from common.ratelimit import Decision, RateLimiter

__all__ = [
    "ANONYMOUS_PATHS",
    "FORWARD_AUTH_PATH",
    "IDENTITY_HEADERS",
    "ForwardAuth",
    "VerifiedTokens",
    "anonymous_allowed",
]

#: Where the gateway asks (``GET``, headers only); served by ``common.middleware.FastPaths``.
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


def _identity(principal: Principal) -> dict[str, str]:
    values = (
        str(principal.user_id),
        principal.username,
        principal.role,
        str(principal.session_id),
        principal.tier,
        "true" if principal.verified else "false",
    )
    return dict(zip(IDENTITY_HEADERS, values, strict=True))


def _too_many(refused: list[Decision]) -> Response:
    worst = max(refused, key=lambda d: d.reset_after)
    return problem(
        429,
        f"Rate limit of your tier reached; retry in {worst.reset_after}s",
        headers=worst.headers(),
    )


class ForwardAuth:
    def __init__(
        self,
        verifier: TokenVerifier,
        denylist: Denylist,
        redis: aioredis.Redis,
        tiers: TierCache,
        *,
        trust_forwarded_for: bool,
        min_client_version: str = "0.0.0",
    ) -> None:
        self.versions = ClientVersionPolicy(min_client_version)
        self.tokens = VerifiedTokens(verifier)
        self.denylist = denylist
        self.redis = redis
        self.limiter = RateLimiter(redis, prefix="ratelimit:tier")
        self.tiers = tiers
        self.trust_forwarded_for = trust_forwarded_for

    async def _principal(self, authorization: str | None) -> Principal | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Use 'Authorization: Bearer <access token>'")
        return await self.tokens.principal(token.strip())

    async def check(self, request: Request) -> Response:
        """200 with identity headers, 200 without (anonymous), 400 or 426 (client version), 401 or 429."""
        self.versions.check(request.headers.get("x-client-version"))
        uri = request.headers.get("x-forwarded-uri")
        path = uri.split("?", 1)[0] if uri is not None else None
        anonymous_ok = path is not None and anonymous_allowed(path)
        try:
            principal = await self._principal(request.headers.get("authorization"))
        except Unauthorized:
            if not anonymous_ok:
                raise
            principal = None  # a stale token on a route that needs none: carry on without it
        rules = []
        if path is not None:
            tier = principal.tier if principal else self.tiers.default_tier
            rules = self.tiers.rules_for(tier, path)
        if principal is None and not rules:
            return Response(status_code=200)
        if principal is not None:
            subject = f"user:{principal.user_id}"
        else:
            subject = f"ip:{client_ip(request, trust_forwarded_for=self.trust_forwarded_for)}"
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
        refused = [
            d for i, decide in enumerate(deciders) if not (d := decide(results[offset + i * step])).allowed
        ]
        if refused:
            return _too_many(refused)
        return Response(status_code=200, headers=_identity(principal) if principal else None)

"""The auth service application."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from auth_service import hotpath
from auth_service.accounts import router as accounts
from auth_service.accounts.bootstrap import bootstrap
from auth_service.accounts.guards import BruteForceGuard
from auth_service.admin import router as admin
from auth_service.docs import docs_router, redoc_router
from auth_service.forward_auth.service import ForwardAuth
from auth_service.handlers import handlers
from auth_service.keys import router as keys_router
from auth_service.keys.keyring import KeyRing
from auth_service.keys.security import Passwords, TokenIssuer
from auth_service.keys.source import AuthKeys
from auth_service.pages import pages_router
from auth_service.sessions import router as sessions
from auth_service.sessions.denylist import Denylist
from auth_service.sessions.manager import SessionManager
from auth_service.settings import AuthSettings, get_settings
from auth_service.state import AuthState
from auth_service.tiers import router as tiers
from auth_service.tiers.cache import TierCache
from common import TokenVerifier, create_service_app
from common.events.schemas import TokenSeal
from common.http import create_http_client
from common.identity import JWKSKeySource
from common.ratelimit import RateLimiter
from common.settings import Environment
from common.state import ServiceState

__all__ = ["create_app", "load_keyring"]

log = logging.getLogger("auth.main")

#: The verifier's clock leeway: a denylist entry must outlive the last second a token is accepted.
VERIFIER_LEEWAY_SECONDS = 5


def load_keyring(settings: AuthSettings) -> KeyRing:
    """The signing keys; outside development a missing key stops the service from starting."""
    pem = settings.jwt_private_key.get_secret_value() if settings.jwt_private_key else None
    return KeyRing.load(
        Path(settings.jwt_private_keys_dir),
        generate_if_missing=settings.is_dev,
        pem=pem,
        pem_kid=settings.jwt_private_key_id,
    )


def _build_state(base: ServiceState, settings: AuthSettings, keyring: KeyRing, keys: AuthKeys) -> AuthState:
    """The process-wide services, built once per process."""
    denylist = Denylist(
        base.redis, ttl_seconds=settings.access_token_ttl_seconds + VERIFIER_LEEWAY_SECONDS + 5
    )
    tier_cache = TierCache(
        base.db,
        base.redis,
        channel=f"{settings.events_prefix}auth:tiers:changed",
        refresh_seconds=settings.tier_refresh_seconds,
    )
    passwords = Passwords(settings)
    return AuthState.extend(
        base,
        settings=settings,
        keyring=keyring,
        auth_keys=keys,
        passwords=passwords,
        seal=TokenSeal(settings.mail_token_key.get_secret_value()),
        guard=BruteForceGuard(RateLimiter(base.redis, prefix="ratelimit:auth"), settings),
        denylist=denylist,
        session_manager=SessionManager(settings, TokenIssuer(keyring, settings), denylist),
        tier_cache=tier_cache,
        forward_auth=ForwardAuth(
            base.verified_tokens,
            denylist,
            base.redis,
            tier_cache,
            min_client_version=settings.min_client_version,
        ),
    )


def create_app(
    settings: AuthSettings | None = None, *, jwks_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The app; ``jwks_transport`` (tests) carries the fetches of the replicas' JWKS."""
    settings = settings or get_settings()
    keyring = load_keyring(settings)
    keys = AuthKeys(keyring, reload_seconds=settings.jwt_keys_reload_seconds)
    verifier = TokenVerifier(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)

    @contextlib.asynccontextmanager
    async def setup(base: ServiceState) -> AsyncIterator[AuthState]:
        peers_client = (
            httpx.AsyncClient(transport=jwks_transport, timeout=3.0)
            if jwks_transport is not None
            else create_http_client(timeout=3.0)
        )
        keys.peers = JWKSKeySource(settings.jwks_url, peers_client)
        keys.start()
        state = _build_state(base, settings, keyring, keys)
        tier_cache = state.tier_cache
        try:
            await bootstrap(state.db, settings, state.passwords)
            await tier_cache.reload()
        except Exception as exc:  # the database may be down at start; limits load when it is back
            log.error("start-up bootstrap failed", extra={"error": repr(exc)[:300]})
        state.runtime.consume(
            handlers.bind(session_idle_ttl=timedelta(seconds=settings.session_idle_ttl_seconds))
        )
        tier_cache.start()
        try:
            yield state
        finally:
            await tier_cache.stop()
            await keys.stop()
            await peers_client.aclose()

    app = create_service_app(
        settings,
        title="Auth service",
        description="Accounts, sign-in, sessions, tiers and the gateway's token check.",
        routers=[
            accounts.router,
            sessions.router,
            keys_router.router,
            admin.router,
            tiers.router,
            # The pages the mailed reset and verification links open.
            pages_router,
            # The gateway's docs pages for every service (Swagger UI, ReDoc); none in production (404).
            *([docs_router, redoc_router] if settings.environment is not Environment.PRODUCTION else []),
        ],
        setup=setup,
        verifier=verifier,
        # The gateway's check, on every request of the system: served ahead of FastAPI's routing.
        fast_endpoints=hotpath.fast_endpoints(),
    )
    return app

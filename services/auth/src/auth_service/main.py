"""The auth service application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI

from auth_service.denylist import Denylist
from auth_service.handlers import purge_expired_tokens
from auth_service.keys import KeyRing
from auth_service.router import internal_router, public_router, router
from auth_service.security import Passwords, TokenIssuer
from auth_service.service import AuthService
from auth_service.settings import AuthSettings, get_settings
from common import Runtime, TokenVerifier, create_service_app
from common.events.schemas import TokensCleanupRequested

__all__ = ["create_app"]


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    keyring = KeyRing.load(Path(settings.jwt_private_keys_dir), generate_if_missing=settings.is_dev)
    verifier = TokenVerifier(
        keyring.public_keys(), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )

    @contextlib.asynccontextmanager
    async def setup(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
        app.state.auth_service = AuthService(settings, Passwords(settings), TokenIssuer(keyring, settings))
        app.state.denylist = Denylist(runtime.redis, ttl_seconds=settings.access_token_ttl_seconds + 60)
        runtime.consume("auth", {TokensCleanupRequested.TYPE: purge_expired_tokens})
        yield

    app = create_service_app(
        settings,
        title="Auth service",
        description="Accounts, sign-in, sessions and the gateway's token check.",
        routers=[router, public_router, internal_router],
        setup=setup,
        verifier=verifier,
    )
    app.state.keyring = keyring
    return app

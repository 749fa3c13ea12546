"""The posts service application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from common import Runtime, TokenVerifier, create_service_app
from posts_service.handlers import HANDLERS
from posts_service.router import internal_router, router
from posts_service.settings import PostsSettings, get_settings

__all__ = ["create_app"]


def create_app(settings: PostsSettings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def setup(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
        runtime.consume("posts", HANDLERS)
        yield

    return create_service_app(
        settings,
        title="Posts service",
        description="Posts: write, read and page through them, with authors and vote counts.",
        routers=[router, internal_router],
        setup=setup,
        verifier=verifier,
    )

"""The votes service application."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from common import TokenVerifier, create_service_app
from common.http import create_http_client
from common.ratelimit import RateLimiter
from common.state import ServiceState
from votes_service.handlers import handlers
from votes_service.posts_client import HttpPostLookup
from votes_service.purge import VotePurger
from votes_service.router import internal_router, router
from votes_service.settings import VotesSettings, get_settings

__all__ = ["create_app"]


def create_app(settings: VotesSettings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def setup(base: ServiceState) -> AsyncIterator[ServiceState]:
        runtime = base.runtime
        async with create_http_client(settings.posts_url, timeout=settings.posts_timeout_seconds) as client:
            app.state.post_lookup = HttpPostLookup(client)
            app.state.vote_limiter = RateLimiter(runtime.redis, prefix="ratelimit")
            purger = VotePurger(runtime.db, interval_seconds=settings.vote_purge_interval_seconds)
            app.state.vote_purger = purger
            runtime.consume(handlers, after_commit=purger.after_commit)
            if settings.run_background:
                purger.start()
            try:
                yield base
            finally:
                await purger.stop()

    app = create_service_app(
        settings,
        title="Votes service",
        description=(
            "One vote per user per post, cast and taken back idempotently. A post that was deleted,"
            " or whose author was deleted or deactivated, takes no votes (404). `GET /api/v1/votes/me`"
            " leaves out votes on such posts; they are kept, and show again if the post comes back."
        ),
        routers=[router, internal_router],
        setup=setup,
        verifier=verifier,
    )
    return app

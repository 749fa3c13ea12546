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
from votes_service.settings import VotesSettings, get_settings
from votes_service.state import VotesState
from votes_service.votes.posts_client import HttpPostLookup
from votes_service.votes.purge import VotePurger
from votes_service.votes.router import internal_router, router

__all__ = ["create_app"]


def create_app(settings: VotesSettings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def setup(base: ServiceState) -> AsyncIterator[VotesState]:
        async with create_http_client(settings.posts_url, timeout=settings.posts_timeout_seconds) as client:
            state = VotesState.extend(
                base,
                settings=settings,
                post_lookup=HttpPostLookup(client),
                vote_limiter=RateLimiter(base.redis, prefix="ratelimit"),
                vote_purger=VotePurger(base.db, interval_seconds=settings.vote_purge_interval_seconds),
            )
            base.runtime.consume(handlers, after_commit=state.vote_purger.after_commit)
            if settings.run_background:
                state.vote_purger.start()
            try:
                yield state
            finally:
                await state.vote_purger.stop()

    return create_service_app(
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

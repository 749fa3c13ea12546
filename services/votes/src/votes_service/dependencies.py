"""What votes' routes need, declared once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from common import CurrentUser, TooManyRequests
from common.db import unit_of_work
from common.ratelimit import Limit, RateLimiter
from common.recent_votes import record_noted_votes
from votes_service.settings import VotesSettings
from votes_service.votes.service import PostLookup

__all__ = ["PostLookupDep", "VoteSession", "enforce_vote_rate_limit"]

log = logging.getLogger("votes_service.dependencies")


def _post_lookup(request: Request) -> PostLookup:
    lookup: PostLookup = request.app.state.post_lookup
    return lookup


PostLookupDep = Annotated[PostLookup, Depends(_post_lookup)]


async def get_vote_session(request: Request, user: CurrentUser) -> AsyncIterator[AsyncSession]:
    """``SessionDep`` that, once the vote committed and before the answer, records it for the voter's
    own next read of posts (``common.recent_votes``: posts' counts follow the events a moment later)."""
    async with unit_of_work(request.app.state.db) as session:
        yield session
    await record_noted_votes(request.app.state.redis, session, user.user_id)


VoteSession = Annotated[AsyncSession, Depends(get_vote_session, scope="function")]


async def enforce_vote_rate_limit(request: Request, response: Response, user: CurrentUser) -> None:
    """Limit vote changes per user (vote stuffing); the answer carries ``RateLimit-*`` headers.

    If Redis is unreachable the vote goes through: the limit is abuse damping, not a security
    boundary, and voting should not go down with the cache.
    """
    settings: VotesSettings = request.app.state.settings
    limiter: RateLimiter = request.app.state.vote_limiter
    limit = Limit(settings.vote_rate_limit, settings.vote_rate_period_seconds)
    try:
        decision = await limiter.hit(f"votes:{user.user_id}", limit)
    except Exception as exc:  # redis down or slow
        log.warning("vote rate limit unavailable, allowing", extra={"error": type(exc).__name__})
        return
    if not decision.allowed:
        error = TooManyRequests(
            f"Too many votes: at most {limit.count} vote changes per {limit.period_seconds}s;"
            f" retry in {decision.reset_after}s",
            retry_after=decision.reset_after,
        )
        error.headers.update(decision.headers())
        raise error
    response.headers.update(decision.headers())

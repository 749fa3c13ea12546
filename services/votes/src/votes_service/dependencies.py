"""What votes' routes need, declared once; everything process-wide comes through ``State``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Response
from sqlalchemy.ext.asyncio import AsyncSession

from common import CurrentUser, TooManyRequests
from common.db import unit_of_work
from common.ratelimit import Limit
from common.recent_votes import record_noted_votes
from votes_service.state import State

__all__ = ["VoteSession", "enforce_vote_rate_limit"]

log = logging.getLogger("votes_service.dependencies")


async def get_vote_session(state: State, user: CurrentUser) -> AsyncIterator[AsyncSession]:
    """``SessionDep`` that, once the vote committed and before the answer, records it for the voter's
    own next read of posts (``common.recent_votes``: posts' counts follow the events a moment later)."""
    async with unit_of_work(state.db) as session:
        yield session
    await record_noted_votes(state.redis, session, user.user_id)


VoteSession = Annotated[AsyncSession, Depends(get_vote_session, scope="function")]


async def enforce_vote_rate_limit(state: State, response: Response, user: CurrentUser) -> None:
    """Limit vote changes per user (vote stuffing); the answer carries ``RateLimit-*`` headers.

    If Redis is unreachable the vote goes through: the limit is abuse damping, not a security
    boundary, and voting should not go down with the cache.
    """
    settings = state.settings
    limit = Limit(settings.vote_rate_limit, settings.vote_rate_period_seconds)
    try:
        decision = await state.vote_limiter.hit(f"votes:{user.user_id}", limit)
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

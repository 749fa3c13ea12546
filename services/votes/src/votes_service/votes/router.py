"""Votes' HTTP surface."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from common import CurrentUser, SessionDep
from common.openapi import error_responses
from common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from votes_service.dependencies import VoteSession, enforce_vote_rate_limit
from votes_service.state import State
from votes_service.votes import service
from votes_service.votes.schemas import MyVotesPage, VoteState, VoteTallies, VoteTalliesQuery

__all__ = ["internal_router", "router"]

#: Every route needs a signed-in user and is rate limited (vote changes also per user, below).
router = APIRouter(prefix="/api/v1/votes", tags=["votes"], responses=error_responses(401, 429))

#: For other services (posts' reconciliation); the gateway does not route ``/internal``.
internal_router = APIRouter(prefix="/internal/votes", include_in_schema=False)

_VOTE_LIMITED = error_responses((429, "Too many vote changes (or requests); see Retry-After"))


@router.get(
    "/me", response_model=MyVotesPage, responses=error_responses((400, "A bad cursor")), name="list_mine"
)
async def my_votes(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> MyVotesPage:
    """The posts I voted for, newest vote first; votes on deleted (or hidden) posts are left out."""
    return await service.list_my_votes(session, user, limit=limit, cursor=cursor)


@router.put(
    "/{post_id}",
    response_model=VoteState,
    status_code=status.HTTP_201_CREATED,
    name="cast",
    dependencies=[Depends(enforce_vote_rate_limit)],
    responses={
        200: {"model": VoteState, "description": "Already voted: nothing changed"},
        **error_responses(
            (404, "No such post, or it was deleted"),
            (503, "Could not check the post with the posts service; retry"),
        ),
        **_VOTE_LIMITED,
    },
)
async def vote(
    post_id: uuid.UUID, user: CurrentUser, session: VoteSession, state: State, response: Response
) -> VoteState:
    """Vote for a post (201); voting again changes nothing (200)."""
    vote_state = await service.cast_vote(session, user, post_id, state.post_lookup)
    if not vote_state.changed:
        response.status_code = status.HTTP_200_OK
    return vote_state


@router.delete(
    "/{post_id}",
    response_model=VoteState,
    dependencies=[Depends(enforce_vote_rate_limit)],
    responses=_VOTE_LIMITED,
)
async def retract(post_id: uuid.UUID, user: CurrentUser, session: VoteSession) -> VoteState:
    """Take my vote back; `changed` is false when there was none."""
    return await service.retract_vote(session, user, post_id)


@router.get("/{post_id}/me", response_model=VoteState, name="get_mine")
async def did_i_vote(post_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> VoteState:
    """Whether I voted for this post."""
    return await service.my_vote(session, user, post_id)


@internal_router.post("/tallies", response_model=VoteTallies)
async def tallies(query: VoteTalliesQuery, session: SessionDep) -> VoteTallies:
    """Each post's vote count and seq, as votes has them (posts compares its read model with this)."""
    return VoteTallies(tallies=await service.vote_tallies(session, query.post_ids))

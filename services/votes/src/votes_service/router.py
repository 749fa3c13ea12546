"""Votes' HTTP surface."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from common import CurrentUser, SessionDep
from common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from votes_service import service
from votes_service.dependencies import PostLookupDep, enforce_vote_rate_limit
from votes_service.schemas import MyVotesPage, VoteState

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/votes", tags=["votes"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token"},
    429: {"description": "Too many vote changes; see Retry-After"},
}


@router.get("/me", response_model=MyVotesPage, responses={401: _ERRORS[401]})
async def my_votes(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> MyVotesPage:
    """The posts I voted for, newest vote first."""
    return await service.list_my_votes(session, user, limit=limit, cursor=cursor)


@router.put(
    "/{post_id}",
    response_model=VoteState,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(enforce_vote_rate_limit)],
    responses={
        200: {"model": VoteState, "description": "Already voted: nothing changed"},
        404: {"description": "No such post, or it was deleted"},
        503: {"description": "Could not check the post with the posts service; retry"},
        **_ERRORS,
    },
)
async def vote(
    post_id: uuid.UUID, user: CurrentUser, session: SessionDep, posts: PostLookupDep, response: Response
) -> VoteState:
    """Vote for a post (201); voting again changes nothing (200)."""
    state = await service.cast_vote(session, user, post_id, posts)
    if not state.changed:
        response.status_code = status.HTTP_200_OK
    return state


@router.delete(
    "/{post_id}",
    response_model=VoteState,
    dependencies=[Depends(enforce_vote_rate_limit)],
    responses=_ERRORS,
)
async def retract(post_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> VoteState:
    """Take my vote back; `changed` is false when there was none."""
    return await service.retract_vote(session, user, post_id)


@router.get("/{post_id}/me", response_model=VoteState, responses={401: _ERRORS[401]})
async def did_i_vote(post_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> VoteState:
    """Whether I voted for this post."""
    return await service.my_vote(session, user, post_id)

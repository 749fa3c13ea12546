"""Posts' HTTP surface."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from common import CurrentUser, OptionalUser, SessionDep
from common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from posts_service import service
from posts_service.schemas import PostCreate, PostPage, PostPublic

__all__ = ["internal_router", "router"]

router = APIRouter(prefix="/api/v1/posts", tags=["posts"])
internal_router = APIRouter(prefix="/internal", include_in_schema=False)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PostPublic)
async def create_post(data: PostCreate, user: CurrentUser, session: SessionDep) -> PostPublic:
    """Write a post."""
    return await service.create_post(session, user, data)


@router.get("", response_model=PostPage)
async def list_posts(
    session: SessionDep,
    viewer: OptionalUser,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> PostPage:
    """The feed, newest first, one page at a time."""
    return await service.list_posts(session, viewer, limit=limit, cursor=cursor)


@router.get("/{post_id}", response_model=PostPublic)
async def get_post(post_id: uuid.UUID, session: SessionDep, viewer: OptionalUser) -> PostPublic:
    """One post."""
    return await service.get_visible_post(session, post_id, viewer)


@internal_router.get("/posts/{post_id}", status_code=status.HTTP_204_NO_CONTENT)
async def post_exists(post_id: uuid.UUID, session: SessionDep) -> None:
    """For the votes service: 204 if the post exists and is public, else 404."""
    await service.get_visible_post(session, post_id, None)

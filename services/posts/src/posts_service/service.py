"""Posts' rules. No commit, no HTTP types."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common import BadRequest, NotFound, Principal
from common.events import add_event
from common.events.schemas import PostCreated
from common.pagination import decode_cursor, encode_cursor
from posts_service import repository
from posts_service.models import Post
from posts_service.repository import PostRow
from posts_service.schemas import AuthorPublic, PostCreate, PostPage, PostPublic

__all__ = ["create_post", "get_visible_post", "list_posts"]

PRODUCER = "posts"


def to_public(post: Post, username: str) -> PostPublic:
    return PostPublic(
        id=post.id,
        title=post.title,
        content=post.content,
        published=post.published,
        author=AuthorPublic(id=post.author_id, username=username),
        vote_count=post.vote_count,
        created_at=post.created_at,
        updated_at=post.updated_at,
    )


def _visible(row: PostRow | None, viewer: Principal | None) -> PostRow:
    if row is None:
        raise NotFound("Post not found")
    post = row[0]
    if not post.published and (viewer is None or viewer.user_id != post.author_id):
        raise NotFound("Post not found")  # a draft is invisible, not forbidden, to others
    return row


async def create_post(session: AsyncSession, author: Principal, data: PostCreate) -> PostPublic:
    await repository.ensure_author(session, author.user_id, author.username)
    post = Post(author_id=author.user_id, title=data.title, content=data.content, published=data.published)
    session.add(post)
    await session.flush()
    await add_event(
        session,
        PostCreated(post_id=post.id, author_id=post.author_id, title=post.title, published=post.published),
        producer=PRODUCER,
    )
    row = await repository.get_post_row(session, post.id)
    return to_public(*_visible(row, author))


async def get_visible_post(session: AsyncSession, post_id: uuid.UUID, viewer: Principal | None) -> PostPublic:
    return to_public(*_visible(await repository.get_post_row(session, post_id), viewer))


async def list_posts(
    session: AsyncSession, viewer: Principal | None, *, limit: int, cursor: str | None
) -> PostPage:
    after = None
    if cursor:
        created_at, post_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(created_at), uuid.UUID(post_id))
        except (TypeError, ValueError):
            raise BadRequest("Invalid cursor: pass back the next_cursor value of a previous page") from None
    rows = await repository.list_feed(
        session, limit=limit + 1, viewer_id=viewer.user_id if viewer else None, after=after
    )
    items = [to_public(post, username) for post, username in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor([last.created_at.isoformat(), str(last.id)])
    return PostPage(items=items, next_cursor=next_cursor)

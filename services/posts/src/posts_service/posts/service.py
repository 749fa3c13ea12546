"""Posts' rules: who may see and change what, soft delete and restore, the listing. No commit, no HTTP.

Visibility, in one place: a deleted post is invisible to everyone (admins list deleted posts
separately); an unpublished post is visible to its author only, and to everyone else it does not
exist (404, never 403, so drafts cannot be probed). Changing a post is for its author only (403 for
others who can see it); deleting is for its author or an admin.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from common import Conflict, Forbidden, NotFound, Principal
from common.db import utcnow
from common.events import add_event, add_events, outbox_row
from common.events.schemas import PostCreated, PostDeleted, PostRestored, PostState, PostUpdated, UserUpdated
from posts_service.posts import repository
from posts_service.posts.cache import mark_changed
from posts_service.posts.feed import FeedQuery, decode_feed_cursor, encode_feed_cursor
from posts_service.posts.models import Post
from posts_service.posts.preconditions import IfMatch
from posts_service.posts.repository import PostRow
from posts_service.posts.schemas import (
    MAX_PAGE_NUMBER,
    AuthorPublic,
    DeletedPostPage,
    DeletedPostPublic,
    PostCreate,
    PostPage,
    PostPublic,
)

__all__ = [
    "apply_author_update",
    "create_post",
    "delete_post",
    "get_visible_post",
    "has_drafts",
    "list_deleted",
    "list_feed",
    "remove_deleted_author",
    "restore_post",
    "update_post",
]


def to_public(row: PostRow) -> PostPublic:
    post = row.post
    return PostPublic(
        id=post.id,
        title=post.title,
        content=post.content,
        published=post.published,
        author=AuthorPublic(id=post.author_id, username=row.username),
        vote_count=post.vote_count,
        created_at=post.created_at,
        updated_at=post.updated_at,
    ).at_seq(post.vote_seq)


def _can_see(post: Post, viewer: Principal | None) -> bool:
    return post.published or (viewer is not None and viewer.user_id == post.author_id)


async def get_visible_post(session: AsyncSession, post_id: uuid.UUID, viewer: Principal | None) -> PostPublic:
    row = await repository.get_post_row(session, post_id)
    if row is None or not _can_see(row.post, viewer):
        raise NotFound("Post not found")
    return to_public(row)


_State = TypeVar("_State", bound=PostState)


def _state_event(cls: type[_State], post: Post, at: datetime) -> _State:
    """A post-state event (created, updated, restored) as of ``at``; consumers order them by it."""
    return cls(
        post_id=post.id, author_id=post.author_id, title=post.title, published=post.published, changed_at=at
    )


async def create_post(session: AsyncSession, author: Principal, data: PostCreate) -> PostPublic:
    """One statement: the author remembered from the token (when auth's event has not arrived yet),
    the post and its outbox row; the author's stored name comes back for the answer."""
    now = utcnow()
    post = Post(
        author_id=author.user_id,
        title=data.title,
        content=data.content,
        published=data.published,
        vote_seq=0,
        created_at=now,
        updated_at=now,
    )
    event = outbox_row(_state_event(PostCreated, post, now))
    known = await repository.insert_post(session, post, author.username, event)
    if known.deleted:
        # nothing was written, or (a race with the deletion) the rollback of this refusal undoes it
        raise Forbidden("This account was deleted; it cannot write posts")
    mark_changed(session, post.id)
    return to_public(PostRow(post, known.username))


async def _public(session: AsyncSession, post: Post) -> PostPublic:
    return to_public(PostRow(post, await repository.get_username(session, post.author_id)))


async def update_post(
    session: AsyncSession,
    user: Principal,
    post_id: uuid.UUID,
    changes: dict[str, Any],
    if_match: IfMatch | None = None,
) -> PostPublic:
    """Apply ``changes`` (all fields for PUT, the sent ones for PATCH) to the caller's own post, if it
    is still at the version the client read (``If-Match``, checked on the locked row)."""
    post = await repository.lock_post(session, post_id)
    if post is None or not _can_see(post, user):
        raise NotFound("Post not found")
    if post.author_id != user.user_id:
        raise Forbidden("Only the author can change this post")
    if if_match is not None:
        if_match.check(post.updated_at)
    for name, value in changes.items():
        setattr(post, name, value)
    post.updated_at = utcnow()
    await session.flush()
    await add_event(
        session,
        _state_event(PostUpdated, post, post.updated_at),
    )
    mark_changed(session, post.id)
    return await _public(session, post)


async def delete_post(
    session: AsyncSession, user: Principal, post_id: uuid.UUID, if_match: IfMatch | None = None
) -> None:
    """Soft delete: gone from every read at once, kept (restorable by admins) for the retention period."""
    post = await repository.lock_post(session, post_id)
    if post is None or (not user.is_admin and not _can_see(post, user)):
        raise NotFound("Post not found")
    if post.author_id != user.user_id and not user.is_admin:
        raise Forbidden("Only the author or an admin can delete this post")
    if if_match is not None:
        if_match.check(post.updated_at)
    post.deleted_at = utcnow()
    await add_event(
        session,
        PostDeleted(post_id=post.id, author_id=post.author_id, changed_at=post.deleted_at),
    )
    mark_changed(session, post.id)


async def restore_post(session: AsyncSession, post_id: uuid.UUID) -> PostPublic:
    post = await repository.lock_post(session, post_id, deleted=True)
    if post is None:
        raise NotFound("No deleted post with this id (it may be live, or already purged)")
    if await repository.author_deleted(session, post.author_id):
        raise Conflict("The author's account was deleted; their posts cannot be restored")
    if await repository.author_deactivated(session, post.author_id):
        # restored now, it would stay hidden yet take votes; reactivation restores every post's state
        raise Conflict("The author's account is deactivated; restore the post once it is reactivated")
    post.deleted_at = None
    post.updated_at = utcnow()
    await add_event(
        session,
        _state_event(PostRestored, post, post.updated_at),
    )
    mark_changed(session, post.id)
    return await _public(session, post)


async def remove_deleted_author(session: AsyncSession, user_id: uuid.UUID, *, chunk_size: int) -> int:
    """Auth deleted the user: anonymise the profile and soft-delete their posts, ``chunk_size`` at a
    time, each chunk one ``UPDATE`` and one multi-row outbox insert of its ``posts.post.deleted``
    events (so votes stops taking votes on them). Returns how many posts went."""
    now = utcnow()
    await repository.mark_author_deleted(session, user_id, now)
    removed = 0
    while True:
        post_ids = await repository.soft_delete_author_posts(session, user_id, now, limit=chunk_size)
        await add_events(
            session,
            [PostDeleted(post_id=post_id, author_id=user_id, changed_at=now) for post_id in post_ids],
        )
        mark_changed(session, *post_ids)
        removed += len(post_ids)
        if len(post_ids) < chunk_size:
            return removed


async def apply_author_update(session: AsyncSession, data: UserUpdated, *, chunk_size: int) -> None:
    """An author's profile changed; on deactivation or reactivation, their posts' visibility too.

    Deactivation hides every post of the author from every read (404, out of every listing) without
    deleting it, and publishes ``posts.post.deleted`` for each so votes refuses votes on them;
    reactivation shows them again and publishes ``posts.post.restored``. Chunked like
    :func:`remove_deleted_author`.
    """
    flipped = await repository.upsert_author(
        session, data.user_id, data.username, data.updated_at, active=data.active
    )
    if not flipped:
        return
    now = utcnow()
    after: uuid.UUID | None = None
    while True:
        posts = await repository.author_live_posts(session, data.user_id, after=after, limit=chunk_size)
        events: list[PostDeleted | PostRestored] = [
            _state_event(PostRestored, post, now)
            if data.active
            else PostDeleted(post_id=post.id, author_id=post.author_id, changed_at=now)
            for post in posts
        ]
        await add_events(session, events)
        mark_changed(session, *(post.id for post in posts))
        if len(posts) < chunk_size:
            return
        after = posts[-1].id


async def has_drafts(session: AsyncSession, viewer: Principal) -> bool:
    """Whether the reader has posts only they can see (then their feed is not the shared one)."""
    return await repository.has_drafts(session, viewer.user_id)


async def _total(
    session: AsyncSession, flt: repository.FeedFilter, *, exact_count_limit: int, seen: int
) -> tuple[int, bool]:
    """How many posts match, and whether that is an estimate: counting stops after
    ``exact_count_limit`` rows (a request never counts the whole table); beyond, the planner's
    estimate, never below what is known to exist."""
    counted = await repository.count_feed(session, flt, limit=exact_count_limit + 1)
    if counted <= exact_count_limit:
        return counted, False
    return max(await repository.estimate_feed(session, flt), counted, seen), True


async def list_feed(
    session: AsyncSession, viewer: Principal | None, query: FeedQuery, *, exact_count_limit: int = 10_000
) -> PostPage:
    flt = repository.FeedFilter(
        viewer_id=viewer.user_id if viewer else None, author=query.author, search=query.search
    )
    if query.page is not None:
        offset = (query.page - 1) * query.size
        rows = await repository.list_feed_page(session, flt, query.sort, offset=offset, limit=query.size + 1)
        has_more = len(rows) > query.size
        rows = rows[: query.size]
        total, estimated = await _total(
            session, flt, exact_count_limit=exact_count_limit, seen=offset + len(rows) + int(has_more)
        )
        # The last page number there is: going on means cursor mode, from this page's last post.
        at_cap = has_more and query.page >= MAX_PAGE_NUMBER and bool(rows)
        return PostPage(
            items=[to_public(r) for r in rows],
            has_more=has_more,
            next_cursor=encode_feed_cursor(rows[-1], query.sort) if at_cap else None,
            total=total,
            total_is_estimate=estimated,
            page=query.page,
            size=query.size,
        )
    after = decode_feed_cursor(query.cursor, query.sort) if query.cursor else None
    rows = await repository.list_feed_keyset(session, flt, query.sort, after=after, limit=query.size + 1)
    has_more = len(rows) > query.size
    rows = rows[: query.size]
    next_cursor = encode_feed_cursor(rows[-1], query.sort) if has_more else None
    return PostPage(items=[to_public(r) for r in rows], has_more=has_more, next_cursor=next_cursor)


async def list_deleted(
    session: AsyncSession, *, page: int, size: int, retention: timedelta
) -> DeletedPostPage:
    total = await repository.count_deleted(session)
    rows = await repository.list_deleted(session, offset=(page - 1) * size, limit=size)
    items = []
    for row in rows:
        deleted_at = row.post.deleted_at
        assert deleted_at is not None
        base = to_public(row).model_dump()
        items.append(DeletedPostPublic(**base, deleted_at=deleted_at, purge_after=deleted_at + retention))
    return DeletedPostPage(items=items, total=total, page=page, size=size, has_more=page * size < total)

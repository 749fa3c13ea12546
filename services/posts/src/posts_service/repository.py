"""Posts' queries, and nothing else."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from posts_service.models import Author, Post

__all__ = [
    "DELETED_AUTHOR",
    "adjust_vote_count",
    "ensure_author",
    "get_post_row",
    "list_feed",
    "mark_author_deleted",
    "upsert_author",
]

DELETED_AUTHOR = "[deleted]"
PostRow = tuple[Post, str]


def _with_author() -> Select[Post, str]:
    return (
        select(Post, func.coalesce(col(Author.username), DELETED_AUTHOR).label("username"))
        .outerjoin(Author, col(Author.user_id) == col(Post.author_id))
        .where(col(Post.deleted_at).is_(None))
    )


async def get_post_row(session: AsyncSession, post_id: uuid.UUID) -> PostRow | None:
    row = (await session.execute(_with_author().where(col(Post.id) == post_id))).first()
    return (row[0], row[1]) if row else None


async def list_feed(
    session: AsyncSession,
    *,
    limit: int,
    viewer_id: uuid.UUID | None,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[PostRow]:
    """Newest first; published posts, plus the viewer's own drafts."""
    visible: ColumnElement[bool] = col(Post.published).is_(True)
    if viewer_id is not None:
        visible = or_(visible, col(Post.author_id) == viewer_id)
    stmt = _with_author().where(visible)
    if after is not None:
        created_at, post_id = after
        stmt = stmt.where(
            or_(
                col(Post.created_at) < created_at,
                and_(col(Post.created_at) == created_at, col(Post.id) < post_id),
            )
        )
    stmt = stmt.order_by(col(Post.created_at).desc(), col(Post.id).desc()).limit(limit)
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def ensure_author(session: AsyncSession, user_id: uuid.UUID, username: str) -> None:
    """Know the author from the token when auth's event has not arrived yet (never overwrites)."""
    await session.execute(
        insert(Author)
        .values(user_id=user_id, username=username, updated_at=datetime.fromtimestamp(0, UTC))
        .on_conflict_do_nothing()
    )


async def upsert_author(
    session: AsyncSession, user_id: uuid.UUID, username: str, updated_at: datetime
) -> None:
    """Apply an author update unless a newer one was already applied."""
    stmt = insert(Author).values(user_id=user_id, username=username, updated_at=updated_at, deleted=False)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"username": stmt.excluded.username, "updated_at": stmt.excluded.updated_at},
            where=and_(col(Author.updated_at) < stmt.excluded.updated_at, col(Author.deleted).is_(False)),
        )
    )


async def mark_author_deleted(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    """A deleted user's posts are soft-deleted and the profile is anonymised."""
    stmt = insert(Author).values(user_id=user_id, username=DELETED_AUTHOR, updated_at=now, deleted=True)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id"],
            set_={"username": DELETED_AUTHOR, "deleted": True, "updated_at": now},
        )
    )
    await session.execute(
        update(Post)
        .where(col(Post.author_id) == user_id, col(Post.deleted_at).is_(None))
        .values(deleted_at=now)
    )


async def adjust_vote_count(session: AsyncSession, post_id: uuid.UUID, delta: int) -> None:
    await session.execute(
        update(Post)
        .where(col(Post.id) == post_id)
        .values(vote_count=func.greatest(col(Post.vote_count) + delta, 0))
    )

"""Votes' queries, and nothing else."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from votes_service.models import KnownPost, Vote

__all__ = [
    "add_vote",
    "delete_user_votes",
    "get_known_post",
    "has_vote",
    "list_user_votes",
    "mark_post_deleted",
    "remember_post",
    "remove_vote",
]


async def get_known_post(session: AsyncSession, post_id: uuid.UUID) -> KnownPost | None:
    return await session.get(KnownPost, post_id)


async def remember_post(
    session: AsyncSession,
    post_id: uuid.UUID,
    *,
    author_id: uuid.UUID | None,
    published: bool,
    deleted: bool = False,
) -> None:
    stmt = insert(KnownPost).values(
        post_id=post_id, author_id=author_id, published=published, deleted=deleted
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["post_id"],
            set_={"published": stmt.excluded.published, "deleted": KnownPost.deleted | stmt.excluded.deleted},  # type: ignore[operator]
        )
    )


async def add_vote(session: AsyncSession, user_id: uuid.UUID, post_id: uuid.UUID) -> bool:
    """Whether a vote was added (False: it already existed)."""
    result = await session.execute(
        insert(Vote)
        .values(user_id=user_id, post_id=post_id)
        .on_conflict_do_nothing()
        .returning(col(Vote.user_id))
    )
    return result.first() is not None


async def remove_vote(session: AsyncSession, user_id: uuid.UUID, post_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(Vote).where(Vote.user_id == user_id, Vote.post_id == post_id).returning(col(Vote.user_id))  # type: ignore[arg-type]
    )
    return result.first() is not None


async def has_vote(session: AsyncSession, user_id: uuid.UUID, post_id: uuid.UUID) -> bool:
    return await session.get(Vote, (user_id, post_id)) is not None


async def list_user_votes(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[Vote]:
    stmt = select(Vote).where(Vote.user_id == user_id)  # type: ignore[arg-type]
    if after is not None:
        created_at, post_id = after
        stmt = stmt.where(
            or_(Vote.created_at < created_at, and_(Vote.created_at == created_at, Vote.post_id < post_id))  # type: ignore[arg-type]
        )
    stmt = stmt.order_by(Vote.created_at.desc(), Vote.post_id.desc()).limit(limit)  # type: ignore[attr-defined]
    return list((await session.execute(stmt)).scalars().all())


async def delete_user_votes(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        delete(Vote).where(Vote.user_id == user_id).returning(col(Vote.post_id))  # type: ignore[arg-type]
    )
    return [row[0] for row in result.all()]


async def mark_post_deleted(session: AsyncSession, post_id: uuid.UUID) -> None:
    await session.execute(update(KnownPost).where(KnownPost.post_id == post_id).values(deleted=True))  # type: ignore[arg-type]

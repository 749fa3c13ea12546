"""Media queries, and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from posts_service.media.models import Media, MediaStatus
from posts_service.posts.models import Post

__all__ = ["count_for_post", "get_for_post", "get_with_post", "list_for_post", "lock", "storage_keys"]


async def count_for_post(session: AsyncSession, post_id: uuid.UUID) -> int:
    stmt = select(func.count()).select_from(Media).where(col(Media.post_id) == post_id)
    return int((await session.execute(stmt)).scalar_one())


async def list_for_post(session: AsyncSession, post_id: uuid.UUID, *, only_ready: bool) -> list[Media]:
    stmt = select(Media).where(col(Media.post_id) == post_id)
    if only_ready:
        stmt = stmt.where(col(Media.status) == MediaStatus.READY)
    stmt = stmt.order_by(col(Media.created_at), col(Media.id))
    return list((await session.execute(stmt)).scalars().all())


async def get_for_post(session: AsyncSession, post_id: uuid.UUID, media_id: uuid.UUID) -> Media | None:
    stmt = select(Media).where(col(Media.id) == media_id, col(Media.post_id) == post_id)
    return (await session.execute(stmt)).scalars().first()


async def get_with_post(session: AsyncSession, media_id: uuid.UUID) -> tuple[Media, Post] | None:
    """The media and its post, if the post is not deleted."""
    stmt = (
        select(Media, Post)
        .join(Post, col(Post.id) == col(Media.post_id))
        .where(col(Media.id) == media_id, col(Post.deleted_at).is_(None))
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def lock(session: AsyncSession, media_id: uuid.UUID) -> Media | None:
    stmt = select(Media).where(col(Media.id) == media_id).with_for_update()
    return (await session.execute(stmt)).scalars().first()


async def storage_keys(session: AsyncSession, post_ids: Sequence[uuid.UUID]) -> list[str]:
    """Every object key of these posts' media (uploads and renditions), for the purge."""
    stmt = select(col(Media.upload_key), col(Media.original_key), col(Media.thumbnail_key)).where(
        col(Media.post_id).in_(post_ids)
    )
    return [key for row in (await session.execute(stmt)).all() for key in row if key]

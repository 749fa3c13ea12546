"""Votes' queries, and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, case, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from votes_service.votes.models import KnownPost, Vote, VotePurge, VoteTally

__all__ = [
    "KnownState",
    "Tally",
    "add_vote",
    "claim_vote_purge",
    "count_votes",
    "delete_user_votes",
    "finish_vote_purge",
    "get_known_post",
    "has_vote",
    "list_user_votes",
    "remember_post",
    "remember_post_if_unknown",
    "remove_vote",
    "request_vote_purge",
    "tallies",
]

#: A post's ``(vote_count, seq)``; a post nobody ever voted for is ``(0, 0)``.
Tally = tuple[int, int]


@dataclass(frozen=True, slots=True)
class KnownState:
    published: bool
    deleted: bool


# The tables behind the models, for the per-vote statements (Core: no ORM compile or load pass).
_KNOWN_POSTS = cast("Table", KnownPost.__table__)  # type: ignore[attr-defined]
_VOTES = cast("Table", Vote.__table__)  # type: ignore[attr-defined]
_TALLIES = cast("Table", VoteTally.__table__)  # type: ignore[attr-defined]


async def get_known_post(session: AsyncSession, post_id: uuid.UUID) -> KnownState | None:
    """What the read model knows of a post (a Core read of two columns: no ORM instance per vote)."""
    stmt = select(_KNOWN_POSTS.c.published, _KNOWN_POSTS.c.deleted).where(_KNOWN_POSTS.c.post_id == post_id)
    row = (await session.execute(stmt)).first()
    return None if row is None else KnownState(published=bool(row[0]), deleted=bool(row[1]))


async def remember_post(
    session: AsyncSession,
    post_id: uuid.UUID,
    *,
    author_id: uuid.UUID | None,
    published: bool,
    deleted: bool = False,
    changed_at: datetime | None = None,
) -> None:
    """Upsert from posts' events, newest state wins.

    Events carry the time their state took effect (``changed_at``); one older than what is stored
    arrived late and changes nothing. An event without it (from an older producer) cannot be
    ordered, so for it ``deleted`` stays sticky: a late update never revives a deleted post.
    """
    stmt = insert(KnownPost).values(
        post_id=post_id, author_id=author_id, published=published, deleted=deleted, changed_at=changed_at
    )
    stored = col(KnownPost.changed_at)
    incoming = stmt.excluded.changed_at
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[col(KnownPost.post_id)],
            set_={
                "author_id": func.coalesce(stmt.excluded.author_id, col(KnownPost.author_id)),
                "published": stmt.excluded.published,
                "deleted": case(
                    (incoming.is_(None), col(KnownPost.deleted) | stmt.excluded.deleted),
                    else_=stmt.excluded.deleted,
                ),
                "changed_at": func.coalesce(incoming, stored),
            },
            where=or_(stored.is_(None), incoming.is_(None), incoming > stored),
        )
    )


async def remember_post_if_unknown(session: AsyncSession, post_id: uuid.UUID) -> None:
    """Record a post posts vouched for over HTTP; an event that arrived meanwhile wins."""
    await session.execute(
        insert(KnownPost).values(post_id=post_id, published=True, deleted=False).on_conflict_do_nothing()
    )


async def add_vote(session: AsyncSession, user_id: uuid.UUID, post_id: uuid.UUID) -> bool:
    """Whether a vote was added (False: it already existed; the primary key decides, not a read)."""
    # On the Core table: an ORM-enabled insert adds a bulk-persistence pass to every vote.
    result = await session.execute(
        insert(_VOTES)
        .values(user_id=user_id, post_id=post_id)
        .on_conflict_do_nothing()
        .returning(_VOTES.c.user_id)
    )
    return result.first() is not None


async def remove_vote(session: AsyncSession, user_id: uuid.UUID, post_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(Vote)
        .where(col(Vote.user_id) == user_id, col(Vote.post_id) == post_id)
        .returning(col(Vote.user_id))
    )
    return result.first() is not None


async def has_vote(session: AsyncSession, user_id: uuid.UUID, post_id: uuid.UUID) -> bool:
    return await session.get(Vote, (user_id, post_id)) is not None


async def count_votes(session: AsyncSession, post_id: uuid.UUID) -> int:
    result = await session.execute(select(func.count()).where(col(Vote.post_id) == post_id))
    return int(result.scalar_one())


async def list_user_votes(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[Vote]:
    """Newest first; keyset pagination on ``(created_at, post_id)`` so pages never skip or repeat.

    Votes on posts known to be deleted are left out (they stay stored: an admin may restore the post).
    """
    deleted = select(col(KnownPost.post_id)).where(
        col(KnownPost.post_id) == col(Vote.post_id), col(KnownPost.deleted).is_(True)
    )
    stmt = select(Vote).where(col(Vote.user_id) == user_id, ~deleted.exists())
    if after is not None:
        created_at, post_id = after
        stmt = stmt.where(
            or_(
                col(Vote.created_at) < created_at,
                and_(col(Vote.created_at) == created_at, col(Vote.post_id) < post_id),
            )
        )
    stmt = stmt.order_by(col(Vote.created_at).desc(), col(Vote.post_id).desc()).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


async def delete_user_votes(session: AsyncSession, user_id: uuid.UUID, *, limit: int) -> list[uuid.UUID]:
    """Delete up to ``limit`` of the user's votes in one statement; the posts they were on."""
    chunk = (
        select(col(Vote.post_id))
        .where(col(Vote.user_id) == user_id)
        .order_by(col(Vote.post_id))
        .limit(limit)
        .scalar_subquery()
    )
    result = await session.execute(
        delete(Vote)
        .where(col(Vote.user_id) == user_id, col(Vote.post_id).in_(chunk))
        .returning(col(Vote.post_id))
    )
    return [row[0] for row in result.all()]


async def request_vote_purge(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(insert(VotePurge).values(user_id=user_id).on_conflict_do_nothing())


async def claim_vote_purge(session: AsyncSession) -> uuid.UUID | None:
    """The oldest pending purge no other transaction is working on, locked for this one."""
    stmt = (
        select(col(VotePurge.user_id))
        .order_by(col(VotePurge.requested_at))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def finish_vote_purge(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(delete(VotePurge).where(col(VotePurge.user_id) == user_id))


async def tallies(session: AsyncSession, post_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Tally]:
    """Each post's count and seq. Read right after changing a post's votes in the same transaction,
    it is that change's own tally: the triggers hold the tally's row lock until the commit."""
    if not post_ids:
        return {}
    stmt = select(_TALLIES.c.post_id, _TALLIES.c.vote_count, _TALLIES.c.seq).where(
        _TALLIES.c.post_id.in_(list(post_ids))
    )
    found = {row[0]: (int(row[1]), int(row[2])) for row in (await session.execute(stmt)).all()}
    return {post_id: found.get(post_id, (0, 0)) for post_id in post_ids}

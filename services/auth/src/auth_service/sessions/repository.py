"""Sessions' queries about device sessions and rotated refresh tokens, and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth_service.sessions.models import DeviceSession, UsedRefreshToken

__all__ = [
    "active_sessions",
    "add_used_refresh_token",
    "delete_expired_sessions",
    "get_session_for_update",
    "mark_sessions_revoked",
    "revocable_session_ids",
    "sessions_beyond",
    "was_rotated",
]


async def get_session_for_update(session: AsyncSession, session_id: uuid.UUID) -> DeviceSession | None:
    """The session row, locked so two refreshes with the same token are decided one after the other."""
    result = await session.execute(
        select(DeviceSession).where(col(DeviceSession.id) == session_id).with_for_update()
    )
    return result.scalars().first()


def _live(now: datetime, idle_cutoff: datetime) -> list[object]:
    return [
        col(DeviceSession.revoked_at).is_(None),
        col(DeviceSession.expires_at) > now,
        col(DeviceSession.last_used_at) > idle_cutoff,
    ]


async def active_sessions(
    session: AsyncSession, user_id: uuid.UUID, *, now: datetime, idle_cutoff: datetime
) -> Sequence[DeviceSession]:
    query = (
        select(DeviceSession)
        .where(col(DeviceSession.user_id) == user_id, *_live(now, idle_cutoff))  # type: ignore[arg-type]
        .order_by(col(DeviceSession.last_used_at).desc())
    )
    return (await session.execute(query)).scalars().all()


async def sessions_beyond(session: AsyncSession, user_id: uuid.UUID, *, keep: int) -> list[uuid.UUID]:
    """The user's unrevoked sessions after the ``keep`` most recently used ones."""
    query = (
        select(col(DeviceSession.id))
        .where(col(DeviceSession.user_id) == user_id, col(DeviceSession.revoked_at).is_(None))
        .order_by(col(DeviceSession.last_used_at).desc(), col(DeviceSession.created_at).desc())
        .offset(keep)
    )
    return list((await session.execute(query)).scalars().all())


async def revocable_session_ids(
    session: AsyncSession, user_id: uuid.UUID, *, keep: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Every session of the user not yet revoked (expired ones too: their tokens may still live)."""
    query = select(col(DeviceSession.id)).where(
        col(DeviceSession.user_id) == user_id, col(DeviceSession.revoked_at).is_(None)
    )
    if keep is not None:
        query = query.where(col(DeviceSession.id) != keep)
    return list((await session.execute(query)).scalars().all())


async def mark_sessions_revoked(session: AsyncSession, session_ids: list[uuid.UUID], now: datetime) -> None:
    if session_ids:
        await session.execute(
            update(DeviceSession)
            .where(col(DeviceSession.id).in_(session_ids))
            .values(revoked_at=now, refresh_token_hash=None)
        )


async def add_used_refresh_token(session: AsyncSession, token_hash: str, session_id: uuid.UUID) -> None:
    session.add(UsedRefreshToken(token_hash=token_hash, session_id=session_id))


async def was_rotated(session: AsyncSession, token_hash: str, session_id: uuid.UUID) -> bool:
    """Whether this refresh token was once valid for the session and has been rotated away."""
    query = select(
        exists().where(
            col(UsedRefreshToken.token_hash) == token_hash, col(UsedRefreshToken.session_id) == session_id
        )
    )
    return bool((await session.execute(query)).scalar())


async def delete_expired_sessions(session: AsyncSession, now: datetime, idle_cutoff: datetime) -> int:
    """DeviceSessions past their absolute or idle lifetime, or revoked; their token history goes too."""
    result = await session.execute(
        delete(DeviceSession).where(
            or_(
                col(DeviceSession.expires_at) < now,
                col(DeviceSession.last_used_at) < idle_cutoff,
                col(DeviceSession.revoked_at).is_not(None),
            )
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

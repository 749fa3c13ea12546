"""Auth's queries, and nothing else."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.models import Session, User

__all__ = [
    "delete_expired_sessions",
    "email_or_username_taken",
    "find_login",
    "get_user",
]


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def find_login(session: AsyncSession, login: str) -> User | None:
    """The user whose e-mail or username is ``login``, ignoring case."""
    lowered = login.strip().lower()
    result = await session.execute(
        select(User).where(or_(func.lower(User.email) == lowered, func.lower(User.username) == lowered))
    )
    return result.scalars().first()


async def email_or_username_taken(session: AsyncSession, email: str, username: str) -> tuple[bool, bool]:
    rows = (
        await session.execute(
            select(func.lower(User.email), func.lower(User.username)).where(
                or_(func.lower(User.email) == email.lower(), func.lower(User.username) == username.lower())
            )
        )
    ).all()
    return (any(r[0] == email.lower() for r in rows), any(r[1] == username.lower() for r in rows))


async def delete_expired_sessions(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(Session).where(Session.expires_at < now))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

"""Accounts' queries about users and single-use tokens, and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth_service.accounts.models import OneTimeToken, TokenPurpose, User
from common.pagination import newest_first

__all__ = [
    "delete_spent_tokens",
    "email_or_username_taken",
    "find_login",
    "find_one_time_token",
    "get_user",
    "list_users",
    "retire_one_time_tokens",
]


# --- users ---------------------------------------------------------------------------------------
async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def find_login(session: AsyncSession, login: str) -> User | None:
    """The user whose e-mail or username is ``login``, ignoring case."""
    lowered = login.strip().lower()
    result = await session.execute(
        select(User).where(or_(func.lower(User.email) == lowered, func.lower(User.username) == lowered))
    )
    return result.scalars().first()


async def email_or_username_taken(
    session: AsyncSession, email: str, username: str, *, exclude: uuid.UUID | None = None
) -> tuple[bool, bool]:
    """Whether another account already uses this e-mail / username, ignoring case."""
    query = select(func.lower(User.email), func.lower(User.username)).where(
        or_(func.lower(User.email) == email.lower(), func.lower(User.username) == username.lower())
    )
    if exclude is not None:
        query = query.where(col(User.id) != exclude)
    rows = (await session.execute(query)).all()
    return (any(r[0] == email.lower() for r in rows), any(r[1] == username.lower() for r in rows))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_users(
    session: AsyncSession,
    *,
    search: str | None,
    role: str | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> Sequence[User]:
    """Newest first, keyset-paginated on ``(created_at, id)``."""
    query = select(User)
    if search:
        pattern = f"%{_escape_like(search.lower())}%"
        query = query.where(
            or_(
                func.lower(User.email).like(pattern, escape="\\"),
                func.lower(User.username).like(pattern, escape="\\"),
            )
        )
    if role:
        query = query.where(col(User.role) == role)
    query = newest_first(query, col(User.created_at), col(User.id), after=after, limit=limit)
    return (await session.execute(query)).scalars().all()


# --- single-use tokens ---------------------------------------------------------------------------
async def find_one_time_token(
    session: AsyncSession, token_hash: str, purpose: TokenPurpose
) -> OneTimeToken | None:
    """The token with this hash, locked so it can be used once even by two racing requests."""
    result = await session.execute(
        select(OneTimeToken)
        .where(col(OneTimeToken.token_hash) == token_hash, col(OneTimeToken.purpose) == purpose)
        .with_for_update()
    )
    return result.scalars().first()


async def retire_one_time_tokens(
    session: AsyncSession, user_id: uuid.UUID, purpose: TokenPurpose, now: datetime
) -> None:
    """Mark every unused token of this purpose used (a newer one, or the job is done)."""
    await session.execute(
        update(OneTimeToken)
        .where(
            col(OneTimeToken.user_id) == user_id,
            col(OneTimeToken.purpose) == purpose,
            col(OneTimeToken.used_at).is_(None),
        )
        .values(used_at=now)
    )


async def delete_spent_tokens(session: AsyncSession, now: datetime) -> dict[str, int]:
    """Delete expired or used single-use tokens; the count per purpose."""
    result = await session.execute(
        delete(OneTimeToken)
        .where(or_(col(OneTimeToken.expires_at) < now, col(OneTimeToken.used_at).is_not(None)))
        .returning(col(OneTimeToken.purpose))
    )
    counts: dict[str, int] = {}
    for purpose in result.scalars():
        counts[purpose] = counts.get(purpose, 0) + 1
    return counts

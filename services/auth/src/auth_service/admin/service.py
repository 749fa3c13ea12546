"""Rules for administering accounts. No commit (the request boundary commits), no HTTP types.

An admin cannot demote or deactivate themselves, so the last admin can never lock everyone out by
accident. A role change or a deactivation signs the user out everywhere at once, so the old role
(or the account) stops working immediately rather than when the access token expires.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import repository
from auth_service.accounts.models import User
from auth_service.accounts.service import user_updated
from auth_service.admin.schemas import UserAdminPublic, UserPage
from auth_service.state import AuthState
from auth_service.tiers import repository as tiers_repository
from common import BadRequest, Conflict, NotFound
from common.db import utcnow
from common.events import add_event
from common.pagination import decode_cursor, encode_cursor

__all__ = [
    "get_user",
    "list_users",
    "set_active",
    "set_role",
    "set_tier",
]


async def list_users(
    session: AsyncSession, *, search: str | None, role: str | None, limit: int, cursor: str | None
) -> UserPage:
    after = None
    if cursor:
        created_at, user_id = decode_cursor(cursor, 2)
        try:
            after = (datetime.fromisoformat(str(created_at)), uuid.UUID(str(user_id)))
        except ValueError:
            raise BadRequest("Invalid cursor: pass back the next_cursor value of a previous page") from None
    rows = await repository.list_users(session, search=search, role=role, limit=limit + 1, after=after)
    items = [UserAdminPublic.model_validate(row) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.created_at.isoformat(), str(last.id)])
    return UserPage(items=items, next_cursor=next_cursor)


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


async def set_role(
    session: AsyncSession, state: AuthState, admin_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> User:
    user = await get_user(session, user_id)
    if user.id == admin_id and role != user.role:
        raise Conflict("You cannot change your own role; ask another admin")
    if user.role != role:
        user.role = role
        user.updated_at = utcnow()
        session.add(user)
        await state.session_manager.revoke_all(session, user.id, reason="role_changed")
    return user


async def set_tier(session: AsyncSession, user_id: uuid.UUID, tier: str) -> User:
    """Move a user to another tier; it travels in their next access token (at the next refresh)."""
    user = await get_user(session, user_id)
    if await tiers_repository.get_tier(session, tier) is None:
        raise BadRequest(f"No tier named {tier!r}; create it first")
    user.tier = tier
    user.updated_at = utcnow()
    session.add(user)
    await session.flush()
    return user


async def set_active(
    session: AsyncSession, state: AuthState, admin_id: uuid.UUID, user_id: uuid.UUID, *, active: bool
) -> User:
    """Deactivate (signing the user out everywhere) or reactivate an account."""
    user = await get_user(session, user_id)
    if user.id == admin_id and not active:
        raise Conflict("You cannot deactivate your own account")
    if user.is_active != active:
        user.is_active = active
        user.updated_at = utcnow()
        session.add(user)
        # posts hides (or shows again) the user's posts, and votes stops (or resumes) taking votes
        await add_event(
            session,
            user_updated(user),
        )
        if not active:
            await state.session_manager.revoke_all(session, user.id, reason="account_deactivated")
    return user

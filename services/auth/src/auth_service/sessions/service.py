"""Signing in and out, and the caller's devices. No commit (the request boundary commits), no HTTP types."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import repository as accounts_repository
from auth_service.sessions import repository
from auth_service.sessions.manager import DeviceInfo
from auth_service.sessions.metrics import LOGINS
from auth_service.sessions.models import DeviceSession
from auth_service.sessions.schemas import SessionPublic, TokenPair
from auth_service.state import AuthState
from common import NotFound, TooManyRequests, Unauthorized
from common.db import utcnow

__all__ = [
    "list_sessions",
    "login",
    "logout",
    "logout_all",
    "refresh",
    "revoke_session",
]


async def login(
    session: AsyncSession, state: AuthState, login: str, password: str, device: DeviceInfo
) -> TokenPair:
    """A new session for the right password; 401 otherwise, 429 after too many attempts."""
    try:
        await state.guard.per_ip("login", device.ip or "unknown")
        user = await accounts_repository.find_login(session, login)
        account = str(user.id) if user else login
        attempt = await state.guard.reserve_attempt("login", account)
    except TooManyRequests:
        LOGINS.labels("rate_limited").inc()
        raise
    # Verified against a dummy hash when no account matches: both answers cost the same.
    ok = await state.passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok:
        LOGINS.labels("failed").inc()
        raise Unauthorized("Incorrect username or password")
    await state.guard.refund(attempt)
    if not user.is_active:
        LOGINS.labels("failed").inc()
        raise Unauthorized("This account is deactivated")
    if state.passwords.needs_rehash(user.password_hash):
        user.password_hash = await state.passwords.hash(password)
        session.add(user)
    pair = await state.session_manager.open(session, user, device)
    LOGINS.labels("ok").inc()
    return pair


async def refresh(
    session: AsyncSession, state: AuthState, refresh_token: str, device: DeviceInfo
) -> TokenPair:
    return await state.session_manager.rotate(session, refresh_token, device)


async def logout(session: AsyncSession, state: AuthState, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
    await state.session_manager.revoke(session, user_id, [session_id], reason="logout")


async def logout_all(session: AsyncSession, state: AuthState, user_id: uuid.UUID) -> int:
    return await state.session_manager.revoke_all(session, user_id, reason="logout_all")


async def list_sessions(
    session: AsyncSession, state: AuthState, user_id: uuid.UUID, current: uuid.UUID
) -> list[SessionPublic]:
    now = utcnow()
    rows: Sequence[DeviceSession] = await repository.active_sessions(
        session, user_id, now=now, idle_cutoff=state.session_manager.idle_cutoff(now)
    )
    return [
        SessionPublic.model_validate(row).model_copy(update={"current": row.id == current}) for row in rows
    ]


async def revoke_session(
    session: AsyncSession, state: AuthState, user_id: uuid.UUID, session_id: uuid.UUID
) -> None:
    """Sign one of the caller's own devices out; someone else's session is a 404."""
    device_session = await session.get(DeviceSession, session_id)
    if device_session is None or device_session.user_id != user_id:
        raise NotFound("No such session")
    if device_session.revoked_at is None:
        await state.session_manager.revoke(session, user_id, [session_id], reason="revoked_by_user")

"""Signing in and out, and the caller's devices. No commit (the request boundary commits), no HTTP types."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import repository as accounts_repository
from auth_service.accounts.guards import BruteForceGuard
from auth_service.keys.security import Passwords
from auth_service.sessions import repository
from auth_service.sessions.manager import DeviceInfo, SessionManager
from auth_service.sessions.metrics import LOGINS
from auth_service.sessions.models import DeviceSession
from auth_service.sessions.schemas import SessionPublic, TokenPair
from common import NotFound, TooManyRequests, Unauthorized
from common.db import utcnow

__all__ = ["SessionService"]


class SessionService:
    """Holds the process-wide parts (hasher, session manager, guard); every call is handed its session."""

    def __init__(
        self,
        passwords: Passwords,
        sessions: SessionManager,
        guard: BruteForceGuard,
    ) -> None:
        self.passwords = passwords
        self.sessions = sessions
        self.guard = guard

    async def login(self, session: AsyncSession, login: str, password: str, device: DeviceInfo) -> TokenPair:
        """A new session for the right password; 401 otherwise, 429 after too many attempts."""
        try:
            await self.guard.per_ip("login", device.ip or "unknown")
            user = await accounts_repository.find_login(session, login)
            account = str(user.id) if user else login
            attempt = await self.guard.reserve_attempt("login", account)
        except TooManyRequests:
            LOGINS.labels("rate_limited").inc()
            raise
        # Verified against a dummy hash when no account matches: both answers cost the same.
        ok = await self.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok:
            LOGINS.labels("failed").inc()
            raise Unauthorized("Incorrect username or password")
        await self.guard.refund(attempt)
        if not user.is_active:
            LOGINS.labels("failed").inc()
            raise Unauthorized("This account is deactivated")
        if self.passwords.needs_rehash(user.password_hash):
            user.password_hash = await self.passwords.hash(password)
            session.add(user)
        pair = await self.sessions.open(session, user, device)
        LOGINS.labels("ok").inc()
        return pair

    async def refresh(self, session: AsyncSession, refresh_token: str, device: DeviceInfo) -> TokenPair:
        return await self.sessions.rotate(session, refresh_token, device)

    async def logout(self, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        await self.sessions.revoke(session, user_id, [session_id], reason="logout")

    async def logout_all(self, session: AsyncSession, user_id: uuid.UUID) -> int:
        return await self.sessions.revoke_all(session, user_id, reason="logout_all")

    async def list_sessions(
        self, session: AsyncSession, user_id: uuid.UUID, current: uuid.UUID
    ) -> list[SessionPublic]:
        now = utcnow()
        rows: Sequence[DeviceSession] = await repository.active_sessions(
            session, user_id, now=now, idle_cutoff=self.sessions.idle_cutoff(now)
        )
        return [
            SessionPublic.model_validate(row).model_copy(update={"current": row.id == current})
            for row in rows
        ]

    async def revoke_session(self, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """Sign one of the caller's own devices out; someone else's session is a 404."""
        device_session = await session.get(DeviceSession, session_id)
        if device_session is None or device_session.user_id != user_id:
            raise NotFound("No such session")
        if device_session.revoked_at is None:
            await self.sessions.revoke(session, user_id, [session_id], reason="revoked_by_user")

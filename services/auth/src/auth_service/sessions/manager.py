"""Session lifecycle: open on sign-in, rotate on refresh, revoke at once.

A session is one device's refresh-token family. Each refresh hands out a new refresh token and
files the old one's hash under ``used_refresh_tokens``; an old token coming back means two parties
hold the family (one of them stole it), so the whole session is revoked. One exception: within
``REFRESH_REUSE_GRACE_SECONDS`` of its rotation, and while the pair it was rotated into is still the
session's current one, the old token answers with that same pair (two tabs refreshing at once;
``recent_rotations``). Revocation marks the row,
denies the session's access tokens in Redis (forwardAuth refuses them from the next request) and
logs it with its reason on ``auth.security`` (no event: no other service acts on it).
"""

from __future__ import annotations

import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import repository as accounts_repository
from auth_service.accounts.models import User
from auth_service.keys.security import TokenIssuer, csrf_token_for, hash_token, split_refresh_token
from auth_service.sessions import repository
from auth_service.sessions.denylist import Denylist
from auth_service.sessions.models import DeviceSession
from auth_service.sessions.recent_rotations import RecentRotations
from auth_service.sessions.schemas import TokenPair
from auth_service.settings import AuthSettings
from common import ServiceUnavailable, Unauthorized
from common.db import utcnow

__all__ = ["DeviceInfo", "SessionManager"]

security_log = logging.getLogger("auth.security")


@dataclass(frozen=True)
class DeviceInfo:
    user_agent: str | None
    ip: str | None
    platform: str | None


class SessionManager:
    def __init__(self, settings: AuthSettings, issuer: TokenIssuer, denylist: Denylist) -> None:
        self.settings = settings
        self.issuer = issuer
        self.denylist = denylist
        self.recent = RecentRotations(denylist.redis, grace_seconds=settings.refresh_reuse_grace_seconds)

    def idle_cutoff(self, now: datetime) -> datetime:
        return now - timedelta(seconds=self.settings.session_idle_ttl_seconds)

    def _pair(
        self, user: User, device_session: DeviceSession, refresh_token: str, now: datetime
    ) -> TokenPair:
        idle_end = device_session.last_used_at + timedelta(seconds=self.settings.session_idle_ttl_seconds)
        ends = min(device_session.expires_at, idle_end)
        return TokenPair(
            access_token=self.issuer.access_token(user, device_session),
            expires_in=self.settings.access_token_ttl_seconds,
            refresh_token=refresh_token,
            refresh_expires_in=max(0, int((ends - now).total_seconds())),
            session_id=device_session.id,
            csrf_token=csrf_token_for(refresh_token),
        )

    async def open(self, session: AsyncSession, user: User, device: DeviceInfo) -> TokenPair:
        """A new session for a user who just proved who they are.

        Beyond ``max_sessions_per_user`` the least recently used sessions are signed out, so one
        account cannot pile up rows (and a session list) without bound.
        """
        surplus = await repository.sessions_beyond(
            session, user.id, keep=self.settings.max_sessions_per_user - 1
        )
        await self.revoke(session, user.id, surplus, reason="session_limit")
        now = utcnow()
        device_session = DeviceSession(
            user_id=user.id,
            platform=device.platform or None,
            user_agent=(device.user_agent or "")[:512] or None,
            ip=device.ip,
            created_at=now,
            last_used_at=now,
            expires_at=now + timedelta(seconds=self.settings.refresh_token_ttl_seconds),
        )
        refresh_token, refresh_hash = self.issuer.new_refresh_token(device_session.id)
        device_session.refresh_token_hash = refresh_hash
        session.add(device_session)
        await session.flush()
        return self._pair(user, device_session, refresh_token, now)

    async def rotate(self, session: AsyncSession, refresh_token: str, device: DeviceInfo) -> TokenPair:
        """A new token pair for a valid refresh token; the presented one stops working."""
        parts = split_refresh_token(refresh_token)
        if parts is None:
            raise Unauthorized("Invalid refresh token")
        session_id, secret = parts
        device_session = await repository.get_session_for_update(session, session_id)
        if device_session is None:
            raise Unauthorized("Invalid refresh token")
        if device_session.revoked_at is not None:
            raise Unauthorized("This session was signed out; sign in again")
        presented = hash_token(secret)
        current = device_session.refresh_token_hash or ""
        if not hmac.compare_digest(presented.encode(), current.encode()):
            again = await self._recall(secret, presented, current)
            if again is not None:
                return again
            await self._refuse_unknown(session, device_session, presented, device)
        now = utcnow()
        if device_session.expires_at <= now or device_session.last_used_at <= self.idle_cutoff(now):
            raise Unauthorized("This session has expired; sign in again")
        user = await accounts_repository.get_user(session, device_session.user_id)
        if user is None or not user.is_active:
            raise Unauthorized("This account is not active")
        await repository.add_used_refresh_token(session, presented, device_session.id)
        new_token, new_hash = self.issuer.new_refresh_token(device_session.id)
        device_session.refresh_token_hash = new_hash
        device_session.last_used_at = now
        device_session.ip = device.ip or device_session.ip
        session.add(device_session)
        await session.flush()
        pair = self._pair(user, device_session, new_token, now)
        await self.recent.remember(secret, presented, pair)
        return pair

    async def _recall(self, secret: str, presented: str, current: str) -> TokenPair | None:
        """The pair ``secret`` was just rotated into, if that is still the session's current one."""
        try:
            again = await self.recent.recall(secret, presented)
        except RedisError:
            # Unknown is not reuse: refuse for now rather than sign the user out on a Redis blip.
            raise ServiceUnavailable("Could not refresh the session right now; try again") from None
        if again is None:
            return None
        parts = split_refresh_token(again.refresh_token)
        if parts is None or not hmac.compare_digest(hash_token(parts[1]).encode(), current.encode()):
            return None  # the new token was used since: this is a replay, not a second tab
        return again

    async def _refuse_unknown(
        self, session: AsyncSession, device_session: DeviceSession, presented: str, device: DeviceInfo
    ) -> None:
        """Refuse a token that is not the session's current one; revoke the family if it was stolen."""
        if not await repository.was_rotated(session, presented, device_session.id):
            raise Unauthorized("Invalid refresh token")
        security_log.warning(
            "refresh token reuse detected; session family revoked",
            extra={
                "event": "refresh_token_reuse",
                "user_id": str(device_session.user_id),
                "session_id": str(device_session.id),
                "ip": device.ip,
            },
        )
        await self.revoke(session, device_session.user_id, [device_session.id], reason="refresh_token_reuse")
        # The request fails with 401, which rolls the request's transaction back; the revocation
        # must survive that, so it is committed here (the one exception to "commit at the boundary").
        await session.commit()
        raise Unauthorized("This refresh token was already used; the session is signed out for safety")

    async def revoke(
        self, session: AsyncSession, user_id: uuid.UUID, session_ids: list[uuid.UUID], *, reason: str
    ) -> None:
        """Sign these sessions out everywhere, at once."""
        if not session_ids:
            return
        try:
            await self.denylist.revoke_sessions(session_ids)
        except RedisError:
            # Without the denylist entry the access tokens would keep working: refuse to pretend.
            raise ServiceUnavailable("Could not sign the session out right now; try again") from None
        await repository.mark_sessions_revoked(session, session_ids, utcnow())
        security_log.info(
            "sessions revoked",
            extra={"user_id": str(user_id), "sessions": [str(s) for s in session_ids], "reason": reason},
        )

    async def revoke_all(
        self, session: AsyncSession, user_id: uuid.UUID, *, reason: str, keep: uuid.UUID | None = None
    ) -> int:
        """Revoke every session of the user (but ``keep``); how many were revoked."""
        ids = await repository.revocable_session_ids(session, user_id, keep=keep)
        await self.revoke(session, user_id, ids, reason=reason)
        return len(ids)

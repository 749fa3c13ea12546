"""Auth's rules. No commit (the request boundary commits), no HTTP types."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import repository
from auth_service.models import Session, User, utcnow
from auth_service.schemas import TokenPair, UserCreate
from auth_service.security import Passwords, TokenIssuer
from auth_service.settings import AuthSettings
from common import Conflict, NotFound, Unauthorized
from common.events import add_event
from common.events.schemas import UserRegistered

__all__ = ["AuthService", "DeviceInfo"]

PRODUCER = "auth"


@dataclass(frozen=True)
class DeviceInfo:
    user_agent: str | None
    ip: str | None
    platform: str | None


class AuthService:
    """Holds the process-wide parts (hasher, issuer); every call is handed its session."""

    def __init__(self, settings: AuthSettings, passwords: Passwords, issuer: TokenIssuer) -> None:
        self.settings = settings
        self.passwords = passwords
        self.issuer = issuer

    async def register(self, session: AsyncSession, data: UserCreate) -> User:
        email_taken, username_taken = await repository.email_or_username_taken(
            session, data.email, data.username
        )
        if email_taken:
            raise Conflict("An account with this e-mail already exists")
        if username_taken:
            raise Conflict("This username is taken")
        user = User(
            email=data.email, username=data.username, password_hash=await self.passwords.hash(data.password)
        )
        session.add(user)
        try:
            await session.flush()
        except IntegrityError:  # a concurrent registration won the race for the same name
            raise Conflict("An account with this e-mail or username already exists") from None
        await add_event(
            session,
            UserRegistered(
                user_id=user.id, username=user.username, email=user.email, updated_at=user.updated_at
            ),
            producer=PRODUCER,
        )
        return user

    async def login(self, session: AsyncSession, login: str, password: str, device: DeviceInfo) -> TokenPair:
        user = await repository.find_login(session, login)
        ok = await self.passwords.verify(user.password_hash if user else None, password)
        if user is None or not ok:
            raise Unauthorized("Incorrect username or password")
        if not user.is_active:
            raise Unauthorized("This account is deactivated")
        now = utcnow()
        device_session = Session(
            user_id=user.id,
            platform=device.platform,
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
        return TokenPair(
            access_token=self.issuer.access_token(user, device_session),
            expires_in=self.settings.access_token_ttl_seconds,
            refresh_token=refresh_token,
            session_id=device_session.id,
        )

    async def profile(self, session: AsyncSession, user_id: object) -> User:
        user = await repository.get_user(session, user_id)  # type: ignore[arg-type]
        if user is None or not user.is_active:
            raise NotFound("User not found")
        return user

    async def purge_expired(self, session: AsyncSession) -> int:
        return await repository.delete_expired_sessions(session, utcnow())

"""Auth's rules for accounts and sign-in. No commit (the request boundary commits), no HTTP types."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import one_time, repository
from auth_service.guards import BruteForceGuard
from auth_service.metrics import LOGINS
from auth_service.models import Role, Session, TokenPurpose, User, utcnow
from auth_service.schemas import SessionPublic, TokenPair, UserCreate
from auth_service.security import Passwords
from auth_service.sessions import DeviceInfo, SessionManager
from auth_service.settings import AuthSettings
from auth_service.tiers.cache import TierCache
from common import Conflict, NotFound, TooManyRequests, Unauthorized
from common.events import add_event
from common.events.schemas import EmailVerificationRequested, TokenSeal, UserRegistered, UserUpdated

__all__ = ["AuthService", "create_account", "ensure_names_free", "user_updated"]


def user_updated(user: User) -> UserUpdated:
    """What the other services learn of a changed account: its public profile and whether it is active
    (posts hides a deactivated author's posts, and votes stops taking votes on them)."""
    return UserUpdated(
        user_id=user.id,
        username=user.username,
        email=user.email,
        updated_at=user.updated_at,
        active=user.is_active,
    )


async def ensure_names_free(
    session: AsyncSession, email: str, username: str, *, exclude: uuid.UUID | None = None
) -> None:
    """409 when another account uses this e-mail or username, ignoring case."""
    email_taken, username_taken = await repository.email_or_username_taken(
        session, email, username, exclude=exclude
    )
    if email_taken:
        raise Conflict("An account with this e-mail already exists")
    if username_taken:
        raise Conflict("This username is taken")


async def create_account(
    session: AsyncSession,
    passwords: Passwords,
    data: UserCreate,
    *,
    tier: str,
    role: str = Role.USER,
    verification_ttl_seconds: int | None = None,
    seal: TokenSeal | None = None,
) -> User:
    """A new account; emits ``auth.user.registered`` and, unless ``verification_ttl_seconds`` is None
    (the account is then created verified: an admin's), ``auth.email_verification.requested``
    with a token sealed by ``seal``."""
    await ensure_names_free(session, data.email, data.username)
    user = User(
        email=data.email,
        username=data.username,
        password_hash=await passwords.hash(data.password),
        role=role,
        tier=tier,
        email_verified=verification_ttl_seconds is None,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:  # a concurrent registration won the race for the same name
        raise Conflict("An account with this e-mail or username already exists") from None
    event = UserRegistered(
        user_id=user.id, username=user.username, email=user.email, updated_at=user.updated_at
    )
    await add_event(session, event)
    if verification_ttl_seconds is not None:
        if seal is None:
            raise ValueError("a verification mail needs the token seal")
        await one_time.mail(
            session,
            user,
            TokenPurpose.EMAIL_VERIFICATION,
            EmailVerificationRequested,
            ttl_seconds=verification_ttl_seconds,
            seal=seal,
        )
    return user


class AuthService:
    """Holds the process-wide parts (hasher, sessions, guard); every call is handed its session."""

    def __init__(
        self,
        settings: AuthSettings,
        passwords: Passwords,
        sessions: SessionManager,
        guard: BruteForceGuard,
        tiers: TierCache,
    ) -> None:
        self.settings = settings
        self.passwords = passwords
        self.sessions = sessions
        self.guard = guard
        self.tiers = tiers
        #: Seals mailed tokens for the worker alone (the outbox keeps no usable token).
        self.seal = TokenSeal(settings.mail_token_key.get_secret_value())

    async def register(self, session: AsyncSession, data: UserCreate, ip: str) -> User:
        await self.guard.per_ip("register", ip)
        return await self.create_user(session, data)

    async def create_user(self, session: AsyncSession, data: UserCreate) -> User:
        return await create_account(
            session,
            self.passwords,
            data,
            tier=self.tiers.default_tier,
            verification_ttl_seconds=self.settings.email_verification_ttl_seconds,
            seal=self.seal,
        )

    async def login(self, session: AsyncSession, login: str, password: str, device: DeviceInfo) -> TokenPair:
        """A new session for the right password; 401 otherwise, 429 after too many attempts."""
        try:
            await self.guard.per_ip("login", device.ip or "unknown")
            user = await repository.find_login(session, login)
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
        rows: Sequence[Session] = await repository.active_sessions(
            session, user_id, now=now, idle_cutoff=self.sessions.idle_cutoff(now)
        )
        return [
            SessionPublic.model_validate(row).model_copy(update={"current": row.id == current})
            for row in rows
        ]

    async def revoke_session(self, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """Sign one of the caller's own devices out; someone else's session is a 404."""
        device_session = await session.get(Session, session_id)
        if device_session is None or device_session.user_id != user_id:
            raise NotFound("No such session")
        if device_session.revoked_at is None:
            await self.sessions.revoke(session, user_id, [session_id], reason="revoked_by_user")

    async def profile(self, session: AsyncSession, user_id: uuid.UUID) -> User:
        user = await repository.get_user(session, user_id)
        if user is None or not user.is_active:
            raise NotFound("User not found")
        return user

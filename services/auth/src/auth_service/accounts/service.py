"""Rules for accounts: sign-up, the signed-in user's own account, passwords and e-mail verification.

No commit (the request boundary commits), no HTTP types.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import one_time, repository
from auth_service.accounts.guards import BruteForceGuard
from auth_service.accounts.models import Role, TokenPurpose, User
from auth_service.accounts.schemas import UserCreate, UserUpdate, password_policy_error
from auth_service.keys.security import Passwords
from auth_service.sessions.manager import SessionManager
from auth_service.settings import AuthSettings
from auth_service.tiers.cache import TierCache
from common import BadRequest, Conflict, NotFound
from common.db import utcnow
from common.events import add_event
from common.events.schemas import (
    EmailVerificationRequested,
    MailedTokenRequested,
    PasswordResetRequested,
    TokenSeal,
    UserDeleted,
    UserRegistered,
    UserUpdated,
)

__all__ = ["AccountService", "create_account", "ensure_names_free", "user_updated"]

PRODUCER = "auth"


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
    role: Role = Role.USER,
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
    await add_event(session, event, producer=PRODUCER)
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


class AccountService:
    """Holds the process-wide parts (hasher, sessions, guard, tiers); every call is handed its session."""

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

    # --- sign-up ---------------------------------------------------------------------------------
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

    # --- profile ---------------------------------------------------------------------------------
    async def profile(self, session: AsyncSession, user_id: uuid.UUID) -> User:
        user = await repository.get_user(session, user_id)
        if user is None or not user.is_active:
            raise NotFound("User not found")
        return user

    async def update_me(self, session: AsyncSession, user_id: uuid.UUID, data: UserUpdate) -> User:
        """Change username and/or e-mail; a new e-mail needs the password and a new verification."""
        user = await self.profile(session, user_id)
        username = data.username if data.username is not None else user.username
        email = data.email if data.email is not None else user.email
        if (username, email) == (user.username, user.email):
            return user
        email_changed = email.lower() != user.email.lower()
        if email_changed:
            await self._check_password(user, data.current_password, "to change the e-mail address")
        await ensure_names_free(session, email, username, exclude=user.id)
        user.username, user.email, user.updated_at = username, email, utcnow()
        if email_changed:
            user.email_verified = False
            await self._retire_mailed_tokens(session, user)
        session.add(user)
        try:
            await session.flush()
        except IntegrityError:  # a concurrent request took the name
            raise Conflict("An account with this e-mail or username already exists") from None
        await add_event(
            session,
            user_updated(user),
            producer=PRODUCER,
        )
        if email_changed:
            await self._send_verification(session, user)
        return user

    async def delete_me(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        """Delete the account: every session signed out, then the row (sessions and tokens cascade)."""
        user = await self.profile(session, user_id)
        if user.role == Role.ADMIN:  # so the last admin cannot vanish by accident
            raise Conflict(
                "An admin account cannot delete itself; ask another admin to change its role first"
            )
        await self.sessions.revoke_all(session, user.id, reason="account_deleted")
        await session.delete(user)
        await session.flush()
        await add_event(session, UserDeleted(user_id=user.id), producer=PRODUCER)

    # --- passwords -------------------------------------------------------------------------------
    async def _check_password(self, user: User, password: str | None, purpose: str) -> None:
        """The current password, with failures counted like sign-in failures (no guessing here)."""
        if not password:
            raise BadRequest(f"current_password is required {purpose}")
        attempt = await self.guard.reserve_attempt("login", str(user.id))
        if not await self.passwords.verify(user.password_hash, password):
            raise BadRequest("The current password is incorrect")
        await self.guard.refund(attempt)

    @staticmethod
    async def _retire_mailed_tokens(session: AsyncSession, user: User) -> None:
        """A new password or address makes every reset and verification link mailed before it void."""
        now = utcnow()
        for purpose in (TokenPurpose.PASSWORD_RESET, TokenPurpose.EMAIL_VERIFICATION):
            await repository.retire_one_time_tokens(session, user.id, purpose, now)

    async def _set_password(self, user: User, password: str) -> None:
        error = password_policy_error(password, email=user.email, username=user.username)
        if error:
            raise BadRequest(error[0].upper() + error[1:])
        user.password_hash = await self.passwords.hash(password)

    async def change_password(
        self, session: AsyncSession, user_id: uuid.UUID, keep_session: uuid.UUID, current: str, new: str
    ) -> int:
        """Set a new password; every other session is signed out. Returns how many."""
        user = await self.profile(session, user_id)
        await self._check_password(user, current, "to change the password")
        await self._set_password(user, new)
        session.add(user)
        await self._retire_mailed_tokens(session, user)
        return await self.sessions.revoke_all(session, user.id, reason="password_changed", keep=keep_session)

    async def forgot_password(self, session: AsyncSession, email: str, ip: str) -> None:
        """Mail a reset token if the account exists; the caller cannot tell whether it does."""
        await self.guard.per_ip("forgot", ip)
        await self.guard.per_account("forgot", email)
        user = await repository.find_login(session, email)
        if user is None or not user.is_active or user.email.lower() != email.lower():
            return
        await self._mail_token(
            session,
            user,
            TokenPurpose.PASSWORD_RESET,
            PasswordResetRequested,
            self.settings.password_reset_ttl_seconds,
        )

    async def reset_password(self, session: AsyncSession, token: str, new: str) -> None:
        """Set the password from a mailed token; every session is signed out."""
        used = await one_time.consume(session, token, TokenPurpose.PASSWORD_RESET)
        user = await repository.get_user(session, used.user_id)
        if user is None or not user.is_active:
            raise BadRequest("This token is invalid, already used or expired; request a new one")
        if (used.email or "").lower() != user.email.lower():  # mailed to an address since replaced
            raise BadRequest("This token is invalid, already used or expired; request a new one")
        await self._set_password(user, new)
        # Reading the mail proved the address belongs to the user.
        user.email_verified = True
        session.add(user)
        await self._retire_mailed_tokens(session, user)
        await self.sessions.revoke_all(session, user.id, reason="password_reset")

    # --- e-mail verification ---------------------------------------------------------------------
    async def _send_verification(self, session: AsyncSession, user: User) -> None:
        await self._mail_token(
            session,
            user,
            TokenPurpose.EMAIL_VERIFICATION,
            EmailVerificationRequested,
            self.settings.email_verification_ttl_seconds,
        )

    async def _mail_token(
        self,
        session: AsyncSession,
        user: User,
        purpose: str,
        event_type: type[MailedTokenRequested],
        ttl_seconds: int,
    ) -> None:
        await one_time.mail(session, user, purpose, event_type, ttl_seconds=ttl_seconds, seal=self.seal)

    async def request_verification(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        user = await self.profile(session, user_id)
        if user.email_verified:
            raise Conflict("This e-mail address is already verified")
        await self.guard.per_account("verify_request", str(user.id))
        await self._send_verification(session, user)

    async def verify_email(self, session: AsyncSession, token: str) -> User:
        used = await one_time.consume(session, token, TokenPurpose.EMAIL_VERIFICATION)
        user = await repository.get_user(session, used.user_id)
        if user is None or not user.is_active or (used.email or "").lower() != user.email.lower():
            raise BadRequest("This token is invalid, already used or expired; request a new one")
        user.email_verified = True
        user.updated_at = utcnow()
        session.add(user)
        await session.flush()
        return user

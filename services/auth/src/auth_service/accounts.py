"""Rules for a signed-in user's own account, passwords and e-mail verification.

No commit (the request boundary commits), no HTTP types.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import one_time, repository
from auth_service.models import Role, TokenPurpose, User, utcnow
from auth_service.schemas import UserUpdate, password_policy_error
from auth_service.service import AuthService, ensure_names_free, user_updated
from common import BadRequest, Conflict
from common.events import add_event
from common.events.schemas import (
    EmailVerificationRequested,
    MailedTokenRequested,
    PasswordResetRequested,
    UserDeleted,
)

__all__ = ["AccountService"]


class AccountService:
    def __init__(self, auth: AuthService) -> None:
        self.auth = auth
        self.settings = auth.settings
        self.passwords = auth.passwords
        self.sessions = auth.sessions
        self.guard = auth.guard

    # --- profile ---------------------------------------------------------------------------------
    async def update_me(self, session: AsyncSession, user_id: uuid.UUID, data: UserUpdate) -> User:
        """Change username and/or e-mail; a new e-mail needs the password and a new verification."""
        user = await self.auth.profile(session, user_id)
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
        )
        if email_changed:
            await self._send_verification(session, user)
        return user

    async def delete_me(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        """Delete the account: every session signed out, then the row (sessions and tokens cascade)."""
        user = await self.auth.profile(session, user_id)
        if user.role == Role.ADMIN:  # so the last admin cannot vanish by accident
            raise Conflict(
                "An admin account cannot delete itself; ask another admin to change its role first"
            )
        await self.sessions.revoke_all(session, user.id, reason="account_deleted")
        await session.delete(user)
        await session.flush()
        await add_event(session, UserDeleted(user_id=user.id))

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
        user = await self.auth.profile(session, user_id)
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
        await one_time.mail(session, user, purpose, event_type, ttl_seconds=ttl_seconds, seal=self.auth.seal)

    async def request_verification(self, session: AsyncSession, user_id: uuid.UUID) -> None:
        user = await self.auth.profile(session, user_id)
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

"""Rules for accounts: sign-up, the signed-in user's own account, passwords and e-mail verification.

No commit (the request boundary commits), no HTTP types.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import one_time, repository
from auth_service.accounts.models import Role, TokenPurpose, User
from auth_service.accounts.schemas import UserCreate, UserUpdate, password_policy_error
from auth_service.keys.security import Passwords
from auth_service.state import AuthState
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

__all__ = [
    "change_password",
    "create_account",
    "create_user",
    "delete_me",
    "ensure_names_free",
    "forgot_password",
    "profile",
    "register",
    "request_verification",
    "reset_password",
    "update_me",
    "user_updated",
    "verify_email",
]


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


# --- sign-up ---------------------------------------------------------------------------------
async def register(session: AsyncSession, state: AuthState, data: UserCreate, ip: str) -> User:
    await state.guard.per_ip("register", ip)
    return await create_user(session, state, data)


async def create_user(session: AsyncSession, state: AuthState, data: UserCreate) -> User:
    return await create_account(
        session,
        state.passwords,
        data,
        tier=state.tier_cache.default_tier,
        verification_ttl_seconds=state.settings.email_verification_ttl_seconds,
        seal=state.seal,
    )


# --- profile ---------------------------------------------------------------------------------
async def profile(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await repository.get_user(session, user_id)
    if user is None or not user.is_active:
        raise NotFound("User not found")
    return user


async def update_me(session: AsyncSession, state: AuthState, user_id: uuid.UUID, data: UserUpdate) -> User:
    """Change username and/or e-mail; a new e-mail needs the password and a new verification."""
    user = await profile(session, user_id)
    username = data.username if data.username is not None else user.username
    email = data.email if data.email is not None else user.email
    if (username, email) == (user.username, user.email):
        return user
    email_changed = email.lower() != user.email.lower()
    if email_changed:
        await _check_password(state, user, data.current_password, "to change the e-mail address")
    await ensure_names_free(session, email, username, exclude=user.id)
    user.username, user.email, user.updated_at = username, email, utcnow()
    if email_changed:
        user.email_verified = False
        await _retire_mailed_tokens(session, user)
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
        await _send_verification(session, state, user)
    return user


async def delete_me(session: AsyncSession, state: AuthState, user_id: uuid.UUID) -> None:
    """Delete the account: every session signed out, then the row (sessions and tokens cascade)."""
    user = await profile(session, user_id)
    if user.role == Role.ADMIN:  # so the last admin cannot vanish by accident
        raise Conflict("An admin account cannot delete itself; ask another admin to change its role first")
    await state.session_manager.revoke_all(session, user.id, reason="account_deleted")
    await session.delete(user)
    await session.flush()
    await add_event(session, UserDeleted(user_id=user.id))


# --- passwords -------------------------------------------------------------------------------
async def _check_password(state: AuthState, user: User, password: str | None, purpose: str) -> None:
    """The current password, with failures counted like sign-in failures (no guessing here)."""
    if not password:
        raise BadRequest(f"current_password is required {purpose}")
    attempt = await state.guard.reserve_attempt("login", str(user.id))
    if not await state.passwords.verify(user.password_hash, password):
        raise BadRequest("The current password is incorrect")
    await state.guard.refund(attempt)


async def _retire_mailed_tokens(session: AsyncSession, user: User) -> None:
    """A new password or address makes every reset and verification link mailed before it void."""
    now = utcnow()
    for purpose in (TokenPurpose.PASSWORD_RESET, TokenPurpose.EMAIL_VERIFICATION):
        await repository.retire_one_time_tokens(session, user.id, purpose, now)


async def _set_password(state: AuthState, user: User, password: str) -> None:
    error = password_policy_error(password, email=user.email, username=user.username)
    if error:
        raise BadRequest(error[0].upper() + error[1:])
    user.password_hash = await state.passwords.hash(password)


async def change_password(
    session: AsyncSession,
    state: AuthState,
    user_id: uuid.UUID,
    keep_session: uuid.UUID,
    current: str,
    new: str,
) -> int:
    """Set a new password; every other session is signed out. Returns how many."""
    user = await profile(session, user_id)
    await _check_password(state, user, current, "to change the password")
    await _set_password(state, user, new)
    session.add(user)
    await _retire_mailed_tokens(session, user)
    return await state.session_manager.revoke_all(
        session, user.id, reason="password_changed", keep=keep_session
    )


async def forgot_password(session: AsyncSession, state: AuthState, email: str, ip: str) -> None:
    """Mail a reset token if the account exists; the caller cannot tell whether it does."""
    await state.guard.per_ip("forgot", ip)
    await state.guard.per_account("forgot", email)
    user = await repository.find_login(session, email)
    if user is None or not user.is_active or user.email.lower() != email.lower():
        return
    await _mail_token(
        session,
        state,
        user,
        TokenPurpose.PASSWORD_RESET,
        PasswordResetRequested,
        state.settings.password_reset_ttl_seconds,
    )


async def reset_password(session: AsyncSession, state: AuthState, token: str, new: str) -> None:
    """Set the password from a mailed token; every session is signed out."""
    used = await one_time.consume(session, token, TokenPurpose.PASSWORD_RESET)
    user = await repository.get_user(session, used.user_id)
    if user is None or not user.is_active:
        raise BadRequest("This token is invalid, already used or expired; request a new one")
    if (used.email or "").lower() != user.email.lower():  # mailed to an address since replaced
        raise BadRequest("This token is invalid, already used or expired; request a new one")
    await _set_password(state, user, new)
    # Reading the mail proved the address belongs to the user.
    user.email_verified = True
    session.add(user)
    await _retire_mailed_tokens(session, user)
    await state.session_manager.revoke_all(session, user.id, reason="password_reset")


# --- e-mail verification ---------------------------------------------------------------------
async def _send_verification(session: AsyncSession, state: AuthState, user: User) -> None:
    await _mail_token(
        session,
        state,
        user,
        TokenPurpose.EMAIL_VERIFICATION,
        EmailVerificationRequested,
        state.settings.email_verification_ttl_seconds,
    )


async def _mail_token(
    session: AsyncSession,
    state: AuthState,
    user: User,
    purpose: TokenPurpose,
    event_type: type[MailedTokenRequested],
    ttl_seconds: int,
) -> None:
    await one_time.mail(session, user, purpose, event_type, ttl_seconds=ttl_seconds, seal=state.seal)


async def request_verification(session: AsyncSession, state: AuthState, user_id: uuid.UUID) -> None:
    user = await profile(session, user_id)
    if user.email_verified:
        raise Conflict("This e-mail address is already verified")
    await state.guard.per_account("verify_request", str(user.id))
    await _send_verification(session, state, user)


async def verify_email(session: AsyncSession, token: str) -> User:
    used = await one_time.consume(session, token, TokenPurpose.EMAIL_VERIFICATION)
    user = await repository.get_user(session, used.user_id)
    if user is None or not user.is_active or (used.email or "").lower() != user.email.lower():
        raise BadRequest("This token is invalid, already used or expired; request a new one")
    user.email_verified = True
    user.updated_at = utcnow()
    session.add(user)
    await session.flush()
    return user

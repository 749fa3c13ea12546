"""Single-use, time-limited tokens that reach the user by e-mail (reset, verification).

The raw token exists only in the e-mail: the table keeps its SHA-256, and the event that asks the
worker to mail it carries it sealed for the worker alone (``TokenSeal``, key ``MAIL_TOKEN_KEY``), so
no outbox row, queued message or dead letter holds a usable token. Issuing a new token retires the
older unused ones of the same purpose, so only the latest mail works; using a token marks it used
under a row lock, so it works once even under a race.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import repository
from auth_service.accounts.models import OneTimeToken, TokenPurpose, User
from auth_service.keys.security import hash_token, new_one_time_token
from common import BadRequest
from common.db import utcnow
from common.events import add_event
from common.events.schemas import MailedTokenRequested, TokenSeal

__all__ = ["consume", "issue", "mail"]


async def issue(
    session: AsyncSession, user: User, purpose: TokenPurpose, *, ttl_seconds: int, email: str | None = None
) -> tuple[str, datetime]:
    """A new raw token for ``user`` and when it expires."""
    now = utcnow()
    await repository.retire_one_time_tokens(session, user.id, purpose, now)
    raw, token_hash = new_one_time_token()
    expires_at = now + timedelta(seconds=ttl_seconds)
    session.add(
        OneTimeToken(
            user_id=user.id, purpose=purpose, token_hash=token_hash, email=email, expires_at=expires_at
        )
    )
    await session.flush()
    return raw, expires_at


async def consume(session: AsyncSession, raw: str, purpose: TokenPurpose) -> OneTimeToken:
    """The token's row, now marked used; 400 when it is unknown, used or expired."""
    token = await repository.find_one_time_token(session, hash_token(raw), purpose)
    now = utcnow()
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise BadRequest("This token is invalid, already used or expired; request a new one")
    token.used_at = now
    session.add(token)
    await session.flush()
    return token


async def mail(
    session: AsyncSession,
    user: User,
    purpose: TokenPurpose,
    event_type: type[MailedTokenRequested],
    *,
    ttl_seconds: int,
    seal: TokenSeal,
) -> None:
    """Issue a token for the user's current address and ask the worker (the event) to mail it."""
    token, expires_at = await issue(session, user, purpose, ttl_seconds=ttl_seconds, email=user.email)
    event = event_type(
        user_id=user.id,
        email=user.email,
        username=user.username,
        sealed_token=seal.seal(token),
        expires_at=expires_at,
    )
    await add_event(session, event)

"""Events auth consumes: plain functions handed the session and the event."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import repository as accounts_repository
from auth_service.accounts.models import TokenPurpose
from auth_service.sessions import repository as sessions_repository
from common.db import utcnow
from common.events import Envelope, Handlers
from common.events.schemas import TokensCleanupRequested

__all__ = ["handlers"]

log = logging.getLogger("auth.handlers")

#: Consumed with ``handlers.bind(session_idle_ttl=...)`` (the setting is known when the app is built).
handlers = Handlers("auth")


@handlers.on(TokensCleanupRequested)
async def on_cleanup_requested(
    session: AsyncSession, event: Envelope, *, session_idle_ttl: timedelta
) -> None:
    """The worker's scheduled cleanup: delete expired sessions and spent single-use tokens."""
    event.parse(TokensCleanupRequested)
    now = utcnow()
    sessions = await sessions_repository.delete_expired_sessions(session, now, now - session_idle_ttl)
    tokens = await accounts_repository.delete_spent_tokens(session, now)
    purged = {
        "sessions": sessions,
        "reset_tokens": tokens.get(TokenPurpose.PASSWORD_RESET, 0),
        "verification_tokens": tokens.get(TokenPurpose.EMAIL_VERIFICATION, 0),
    }
    log.info("expired tokens purged", extra=purged)  # logged, not published: nobody consumes it

"""Events auth consumes: plain functions handed the session and the event."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service.accounts import repository as accounts_repository
from auth_service.accounts.models import TokenPurpose
from auth_service.sessions import repository as sessions_repository
from common.db import utcnow
from common.events import Envelope
from common.events.schemas import TokensCleanupRequested

__all__ = ["TokenCleanup"]

log = logging.getLogger("auth.handlers")


class TokenCleanup:
    """The worker's scheduled cleanup: delete expired sessions and spent single-use tokens."""

    def __init__(self, session_idle_ttl_seconds: int) -> None:
        self.idle = timedelta(seconds=session_idle_ttl_seconds)

    async def __call__(self, session: AsyncSession, event: Envelope) -> None:
        event.parse(TokensCleanupRequested)
        now = utcnow()
        sessions = await sessions_repository.delete_expired_sessions(session, now, now - self.idle)
        tokens = await accounts_repository.delete_spent_tokens(session, now)
        purged = {
            "sessions": sessions,
            "reset_tokens": tokens.get(TokenPurpose.PASSWORD_RESET, 0),
            "verification_tokens": tokens.get(TokenPurpose.EMAIL_VERIFICATION, 0),
        }
        log.info("expired tokens purged", extra=purged)  # logged, not published: nobody consumes it

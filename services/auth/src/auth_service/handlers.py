"""Events auth consumes: plain functions handed the session and the event."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from auth_service import repository
from auth_service.models import utcnow
from common.events import Envelope, add_event
from common.events.schemas import TokensCleanupRequested, TokensPurged

__all__ = ["purge_expired_tokens"]

log = logging.getLogger("auth.handlers")


async def purge_expired_tokens(session: AsyncSession, event: Envelope) -> None:
    """The worker's scheduled cleanup: delete expired sessions, log and publish the count."""
    event.parse(TokensCleanupRequested)
    sessions = await repository.delete_expired_sessions(session, utcnow())
    log.info("expired tokens purged", extra={"sessions": sessions})
    await add_event(session, TokensPurged(sessions=sessions, reset_tokens=0), producer="auth")

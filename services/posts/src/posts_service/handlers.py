"""Events posts consumes: they keep the author and vote-count read models."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Envelope
from common.events.schemas import UserDeleted, UserRegistered, UserUpdated, VoteCast, VoteRetracted
from posts_service import repository
from posts_service.models import utcnow

__all__ = ["HANDLERS"]


async def on_user_registered(session: AsyncSession, event: Envelope) -> None:
    data = event.parse(UserRegistered)
    await repository.upsert_author(session, data.user_id, data.username, data.updated_at)


async def on_user_updated(session: AsyncSession, event: Envelope) -> None:
    data = event.parse(UserUpdated)
    await repository.upsert_author(session, data.user_id, data.username, data.updated_at)


async def on_user_deleted(session: AsyncSession, event: Envelope) -> None:
    await repository.mark_author_deleted(session, event.parse(UserDeleted).user_id, utcnow())


async def on_vote_cast(session: AsyncSession, event: Envelope) -> None:
    await repository.adjust_vote_count(session, event.parse(VoteCast).post_id, +1)


async def on_vote_retracted(session: AsyncSession, event: Envelope) -> None:
    await repository.adjust_vote_count(session, event.parse(VoteRetracted).post_id, -1)


HANDLERS = {
    UserRegistered.TYPE: on_user_registered,
    UserUpdated.TYPE: on_user_updated,
    UserDeleted.TYPE: on_user_deleted,
    VoteCast.TYPE: on_vote_cast,
    VoteRetracted.TYPE: on_vote_retracted,
}

"""Events votes consumes: the known-posts read model, and a deleted user's votes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Envelope, Handler, add_event
from common.events.schemas import PostCreated, PostDeleted, PostUpdated, UserDeleted, VoteRetracted
from votes_service import repository
from votes_service.service import PRODUCER

__all__ = ["HANDLERS"]


async def on_post_created(session: AsyncSession, event: Envelope) -> None:
    data = event.parse(PostCreated)
    await repository.remember_post(session, data.post_id, author_id=data.author_id, published=data.published)


async def on_post_updated(session: AsyncSession, event: Envelope) -> None:
    data = event.parse(PostUpdated)
    await repository.remember_post(session, data.post_id, author_id=data.author_id, published=data.published)


async def on_post_deleted(session: AsyncSession, event: Envelope) -> None:
    data = event.parse(PostDeleted)
    await repository.remember_post(
        session, data.post_id, author_id=data.author_id, published=False, deleted=True
    )


async def on_user_deleted(session: AsyncSession, event: Envelope) -> None:
    """Remove the user's votes; each removal is published so posts' counts follow."""
    user_id = event.parse(UserDeleted).user_id
    for post_id in await repository.delete_user_votes(session, user_id):
        await add_event(session, VoteRetracted(post_id=post_id, user_id=user_id), producer=PRODUCER)


HANDLERS: dict[str, Handler] = {
    PostCreated.TYPE: on_post_created,
    PostUpdated.TYPE: on_post_updated,
    PostDeleted.TYPE: on_post_deleted,
    UserDeleted.TYPE: on_user_deleted,
}

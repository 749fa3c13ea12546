"""Events votes consumes: the known-posts read model, and a deleted user's votes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Envelope, Handler, add_event
from common.events.schemas import (
    PostCreated,
    PostDeleted,
    PostRestored,
    PostUpdated,
    UserDeleted,
    VoteRetracted,
)
from votes_service import repository
from votes_service.service import PRODUCER

__all__ = ["HANDLERS"]


PostState = PostCreated | PostUpdated | PostRestored


async def on_post_changed(session: AsyncSession, event: Envelope) -> None:
    """Created, updated or restored: the post's current state, applied only if newer."""
    models: dict[str, type[PostState]] = {m.TYPE: m for m in (PostCreated, PostUpdated, PostRestored)}
    data: PostState = event.parse(models[event.type])
    await repository.remember_post(
        session, data.post_id, author_id=data.author_id, published=data.published, changed_at=data.changed_at
    )


async def on_post_deleted(session: AsyncSession, event: Envelope) -> None:
    data = event.parse(PostDeleted)
    await repository.remember_post(
        session,
        data.post_id,
        author_id=data.author_id,
        published=False,
        deleted=True,
        changed_at=data.changed_at,
    )


async def on_user_deleted(session: AsyncSession, event: Envelope) -> None:
    """Remove the user's votes; each removal is published so posts' counts follow."""
    user_id = event.parse(UserDeleted).user_id
    for post_id in await repository.delete_user_votes(session, user_id):
        await add_event(session, VoteRetracted(post_id=post_id, user_id=user_id), producer=PRODUCER)


HANDLERS: dict[str, Handler] = {
    PostCreated.TYPE: on_post_changed,
    PostUpdated.TYPE: on_post_changed,
    PostRestored.TYPE: on_post_changed,
    PostDeleted.TYPE: on_post_deleted,
    UserDeleted.TYPE: on_user_deleted,
}

"""Events votes consumes: the known-posts read model, and a deleted user's votes."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Envelope, Handlers
from common.events.schemas import (
    PostCreated,
    PostDeleted,
    PostRestored,
    PostState,
    PostUpdated,
    UserDeleted,
)
from votes_service.votes import repository

__all__ = ["handlers"]

handlers = Handlers("votes")


@handlers.on(PostCreated, PostUpdated, PostRestored)
async def on_post_changed(session: AsyncSession, event: Envelope) -> None:
    """Created, updated or restored: the post's current state, applied only if newer."""
    models: dict[str, type[PostState]] = {m.TYPE: m for m in (PostCreated, PostUpdated, PostRestored)}
    data: PostState = event.parse(models[event.type])
    await repository.remember_post(
        session, data.post_id, author_id=data.author_id, published=data.published, changed_at=data.changed_at
    )


@handlers.on(PostDeleted)
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


@handlers.on(UserDeleted)
async def on_user_deleted(session: AsyncSession, event: Envelope) -> None:
    """Record that the user's votes must go; the purger removes them in chunks (``votes/purge.py``)."""
    await repository.request_vote_purge(session, event.parse(UserDeleted).user_id)

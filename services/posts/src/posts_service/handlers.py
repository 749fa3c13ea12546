"""Events posts consumes: the author and vote-count read models, and the worker's media verdicts.

Handlers run inside the consumer's transaction (effect + inbox row commit together). What they change
in the response cache is dropped by :func:`make_after_commit`, which the consumer runs only after
that commit, so a reader can never re-cache the pre-event state.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from common.events import AfterCommit, Envelope, Handlers
from common.events.schemas import (
    MediaFailed,
    MediaProcessed,
    MediaProcessingStarted,
    UserDeleted,
    UserRegistered,
    UserUpdated,
    VoteCast,
    VoteRetracted,
)
from posts_service.media import service as media_service
from posts_service.posts import repository, service
from posts_service.posts.cache import ResponseCache

__all__ = ["AUTHOR_POSTS_CHUNK", "handlers", "make_after_commit"]

#: Posts changed per statement when their author is deleted or (de)activated (bounded statements).
AUTHOR_POSTS_CHUNK = 1000

handlers = Handlers("posts")


@handlers.on(UserRegistered)
async def on_user_registered(session: AsyncSession, event: Envelope) -> None:
    data = event.parse(UserRegistered)
    await repository.upsert_author(session, data.user_id, data.username, data.updated_at)


@handlers.on(UserUpdated)
async def on_user_updated(session: AsyncSession, event: Envelope) -> None:
    """A rename, or (version 2) a deactivation or reactivation that hides or shows the author's posts."""
    await service.apply_author_update(session, event.parse(UserUpdated), chunk_size=AUTHOR_POSTS_CHUNK)


@handlers.on(UserDeleted)
async def on_user_deleted(session: AsyncSession, event: Envelope) -> None:
    """Anonymise the author and soft-delete their posts, publishing each deletion (chunked)."""
    await service.remove_deleted_author(
        session, event.parse(UserDeleted).user_id, chunk_size=AUTHOR_POSTS_CHUNK
    )


@handlers.on_batch(VoteCast, VoteRetracted)
async def on_votes(session: AsyncSession, events: Sequence[Envelope]) -> None:
    """Casts and retractions: the newest count per post, one statement for a run of vote events.

    Version 2 carries the post's absolute count and seq: per post the highest seq in the run wins,
    and the database keeps it only if it is newer than the stored one, so order and duplicates do
    not matter. Version 1 (an older votes during a rolling deploy) is a +1/-1 delta, summed per post.
    """
    newest: dict[uuid.UUID, tuple[int, int]] = {}
    deltas: dict[uuid.UUID, int] = {}
    for event in events:
        data = event.parse(VoteCast if event.type == VoteCast.TYPE else VoteRetracted)
        if event.version >= 2 and data.vote_count is not None and data.seq is not None:
            if data.post_id not in newest or data.seq > newest[data.post_id][1]:
                newest[data.post_id] = (data.vote_count, data.seq)
        else:
            delta = 1 if isinstance(data, VoteCast) else -1
            deltas[data.post_id] = deltas.get(data.post_id, 0) + delta
    await repository.adjust_vote_counts(session, deltas)
    await repository.set_vote_counts(session, newest)


@handlers.on(MediaProcessingStarted)
async def on_media_started(session: AsyncSession, event: Envelope) -> None:
    await media_service.mark_processing(session, event.parse(MediaProcessingStarted).media_id)


@handlers.on(MediaProcessed)
async def on_media_processed(session: AsyncSession, event: Envelope) -> None:
    await media_service.mark_ready(session, event.parse(MediaProcessed))


@handlers.on(MediaFailed)
async def on_media_failed(session: AsyncSession, event: Envelope) -> None:
    await media_service.mark_failed(session, event.parse(MediaFailed))


_USER_EVENTS = {UserRegistered.TYPE, UserUpdated.TYPE, UserDeleted.TYPE}
_VOTE_EVENTS = {VoteCast.TYPE, VoteRetracted.TYPE}


def make_after_commit(db: Database, cache: ResponseCache) -> AfterCommit:
    """The consumer's hook: drop the cached posts applied events made stale, in one go.

    A vote changes one post's entry; feed pages pick it up within the staleness bound. A user event
    changes every post of the user (a rename shows in each), and maybe whether they have drafts
    (a reactivation shows them again), so that user counts as having written.
    """

    async def after_commit(events: Sequence[Envelope]) -> None:
        stale: set[uuid.UUID] = set()
        users: set[uuid.UUID] = set()
        for event in events:
            if event.type in _VOTE_EVENTS:
                stale.add(uuid.UUID(str(event.data["post_id"])))
            elif event.type in _USER_EVENTS:
                user_id = uuid.UUID(str(event.data["user_id"]))
                users.add(user_id)
                async with db.session() as session:
                    stale.update(await repository.author_post_ids(session, user_id))
        if stale or users:
            await cache.invalidate(stale, users)

    return after_commit

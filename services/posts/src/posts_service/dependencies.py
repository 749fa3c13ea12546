"""What posts' routes need, declared once as ``Annotated`` aliases; everything comes from ``State``.

Every dependency is ``async def`` even when it does not await: FastAPI runs a plain ``def``
dependency in the thread pool, and that hop cost more than the whole cached feed read.
The feed's query parameters are a measured exception and live in ``hotpath.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from common import CurrentUser, OptionalUser
from common.db import unit_of_work
from common.idempotency import Idempotency, IdempotencyKeyHeader
from posts_service.posts.cache import changed_posts
from posts_service.posts.models import Post
from posts_service.state import State

__all__ = ["IdempotencyDep", "WriteSession"]


async def get_write_session(state: State, writer: OptionalUser) -> AsyncIterator[AsyncSession]:
    """``SessionDep`` plus, once (and only if) it committed, the cache's part of the write: the
    changed posts' entries go, and the writer and the changed posts' authors are marked as having
    written (their next feed read comes from the database: read-your-writes, ``posts/cache.py``).

    Invalidating before the commit would let a concurrent reader cache the old row again; doing it
    here, before the response is sent, means the writer's next read already sees the write.
    """
    async with unit_of_work(state.db) as session:
        yield session
    changed = changed_posts(session)
    if changed:
        # the posts this session loaded (no query): an admin's change shows to the author at once too
        loaded = session.identity_map.values()
        writers = {obj.author_id for obj in loaded if isinstance(obj, Post) and obj.id in changed}
        if writer is not None:
            writers.add(writer.user_id)
        await state.cache.invalidate(changed, writers)


WriteSession = Annotated[AsyncSession, Depends(get_write_session, scope="function")]


async def get_idempotency(
    request: Request, state: State, user: CurrentUser, idempotency_key: IdempotencyKeyHeader = None
) -> Idempotency:
    """The request's ``Idempotency-Key``, scoped to the signed-in user (``common.idempotency``)."""
    return Idempotency.of(
        request,
        idempotency_key,
        scope=f"user:{user.user_id}",
        ttl_seconds=state.settings.idempotency_key_ttl_seconds,
        secret=b"posts",  # post bodies hold no secret: the HMAC is only a hash here
    )


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]

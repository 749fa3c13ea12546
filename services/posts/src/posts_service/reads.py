"""The read side: a post or a feed page rendered to JSON bytes once, cached for anonymous readers.

Anonymous reads of public data are the same for everyone, so their rendered bytes and ETag live in
Redis (see ``cache.py``) and a hit costs no database query and no serialisation. A signed-in reader's
feed pages may contain their own drafts, so they are cached per reader (a hash per reader that
expires on its own) and marked ``private``; they are tied to the feed's version, which every write and
event that changes any post bumps before the writer gets its answer: an author still sees their own
write in the next read. One post read by a signed-in reader is rendered per request.

These functions open their own (read-only) session, and only on a miss: creating a session per
request cost about as much as the whole cache hit, and a hit needs no database at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import BaseModel

from common import Database, Principal
from posts_service import service
from posts_service.cache import ResponseCache, Slot, etag_of
from posts_service.feed import FeedQuery

__all__ = ["PRIVATE", "Rendered", "read_feed", "read_post"]

#: Signed-in reads: only the reader's own cache may keep them, and must revalidate (ETag) each time.
PRIVATE = "private, no-cache"


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    etag: str
    cache_control: str


def _render(model: BaseModel) -> bytes:
    return model.__pydantic_serializer__.to_json(model)


async def _through_cache(
    cache: ResponseCache, slot: Slot, build: Callable[[], Awaitable[BaseModel]], cache_control: str
) -> Rendered:
    lookup = await cache.lookup(slot)
    if lookup.hit is not None:
        return Rendered(lookup.hit.body, lookup.hit.etag, cache_control)
    body = _render(await build())
    etag = etag_of(body)
    await cache.store(lookup, body, etag)
    return Rendered(body, etag, cache_control)


async def _uncached(build: Callable[[], Awaitable[BaseModel]], cache_control: str) -> Rendered:
    body = _render(await build())
    return Rendered(body, etag_of(body), cache_control)


async def read_post(
    db: Database,
    cache: ResponseCache,
    post_id: uuid.UUID,
    viewer: Principal | None,
    *,
    public_cache_control: str,
) -> Rendered:
    async def build() -> BaseModel:
        async with db.session() as session:
            return await service.get_visible_post(session, post_id, viewer)

    if viewer is not None:
        return await _uncached(build, PRIVATE)
    return await _through_cache(cache, cache.post_slot(post_id), build, public_cache_control)


async def read_feed(
    db: Database,
    cache: ResponseCache,
    query: FeedQuery,
    viewer: Principal | None,
    *,
    public_cache_control: str,
    cached_pages: int,
) -> Rendered:
    async def build() -> BaseModel:
        async with db.session() as session:
            return await service.list_feed(session, viewer, query)

    cache_control = PRIVATE if viewer is not None else public_cache_control
    field = query.cache_field(cached_pages)
    if field is None:
        return await _uncached(build, cache_control)
    slot = cache.reader_feed_slot(viewer.user_id, field) if viewer is not None else cache.feed_slot(field)
    return await _through_cache(cache, slot, build, cache_control)

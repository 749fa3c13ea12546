"""The posts service application.

Posts are written, read, searched and paged here; each carries its author's public profile and its
vote count, both read models fed by events (``auth.user.*``, ``votes.vote.*``).

Deleted users: when auth reports ``auth.user.deleted``, the user's posts are soft-deleted at once
(gone from every read, like any deleted post, and announced with ``posts.post.deleted``), their
profile is anonymised to ``"[deleted]"`` (which is what admins see in the deleted-posts listing), and
the posts are purged with the others when the retention period ends. They cannot be restored, and the
account can no longer write. Deactivated users' posts are hidden until reactivation (README.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import redis.asyncio as aioredis
from fastapi import FastAPI

from common import TokenVerifier, create_service_app
from common.state import ServiceState
from common.storage_config import open_storage
from posts_service.handlers import handlers, make_after_commit
from posts_service.media.router import files_router
from posts_service.media.router import router as media_router
from posts_service.posts.cache import ResponseCache
from posts_service.posts.purge import Purger
from posts_service.posts.router import internal_router, router
from posts_service.settings import PostsSettings, get_settings
from posts_service.state import PostsState

__all__ = ["DESCRIPTION", "create_app"]

DESCRIPTION = """
Posts: write, read, search and page through them, with their authors and vote counts, and attach images.

* **Visibility**: unpublished posts are visible to their author only (404 to anyone else); only the
  author may change a post (403 for others); the author or an admin may delete it.
* **Soft delete**: a deleted post disappears from every read at once and is kept for the retention
  period (`POST_RETENTION_DAYS`), during which admins can list (`GET /api/v1/posts/deleted`) and restore
  it; then it is purged with its media.
* **Deleted users**: their posts are soft-deleted when auth reports the deletion, their author is
  shown as `"[deleted]"`, those posts cannot be restored, and they take no more votes.
* **Deactivated users**: while an admin has the account deactivated, every post of it is hidden
  (404 for everyone, out of every listing) and takes no votes; reactivation shows them again.
* **Paging**: page mode (`page`, `size`) stops at page 1000; that page, when more posts follow, has
  `has_more: true` and a `next_cursor` to go on in cursor mode (`cursor`, `limit`).
* **Vote counts** are a read model of the votes service: they converge on its count within moments.
* **Caching**: anonymous reads are `public, max-age=…`; signed-in reads are `private, no-cache`;
  writes and admin listings are `no-store`. Every read has an `ETag` and answers `304` to a matching
  `If-None-Match`. Others' writes and votes show in the feed within `FEED_STALENESS_SECONDS` (1 s by
  default); your own posts' creation, edits and deletion, and your own votes, show in your next read.
* **Totals**: page mode's `total` is exact up to `FEED_EXACT_COUNT_LIMIT` matching posts (10,000 by
  default) and an estimate beyond (`total_is_estimate: true`); `has_more` is always exact.
* **Media**: `POST /api/v1/posts/{id}/media` takes one JPEG, PNG, WebP or GIF (multipart field
  `file`, up to `MEDIA_MAX_BYTES`) and answers 202 `pending`; the worker processes it to `ready` (with
  thumbnail and original URLs under `/api/v1/media/…`) or `failed` (with a reason).
"""


def create_app(settings: PostsSettings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def setup(base: ServiceState) -> AsyncIterator[PostsState]:
        runtime = base.runtime
        # A client of its own: the response cache stores bytes, the runtime's client decodes to str.
        cache_redis = aioredis.Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        cache = ResponseCache(
            cache_redis,
            ttl_seconds=settings.cache_ttl_seconds,
            staleness_seconds=settings.feed_staleness_seconds,
        )
        runtime.consume(handlers, after_commit=make_after_commit(runtime.db, cache))
        async with open_storage(settings) as storage:
            purger = Purger(
                runtime.db,
                storage,
                retention=timedelta(days=settings.post_retention_days),
                interval_seconds=settings.purge_interval_seconds,
            )
            if settings.run_background:
                purger.start()
            try:
                yield PostsState.extend(base, settings=settings, cache=cache, storage=storage, purger=purger)
            finally:
                await purger.stop()
                await cache_redis.aclose()

    return create_service_app(
        settings,
        title="Posts service",
        description=DESCRIPTION,
        routers=[router, media_router, files_router, internal_router],
        setup=setup,
        verifier=verifier,
    )

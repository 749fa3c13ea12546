"""The read side: a post or a feed page rendered to JSON bytes once, cached in Redis (``cache.py``).

* One post: cached per post for everyone who may see it (it is published); writes and events drop
  the entry before anyone is answered.
* Feed pages (the first ``CACHE_FEED_PAGES``, no search, no cursor): shared short-lived pages for
  anonymous readers and signed-in readers without drafts, a page of their own for readers with
  drafts, the database for a reader who wrote within ``FEED_STALENESS_SECONDS``. Others' writes
  show within that bound; the reader's own writes in their next read.
* A signed-in reader's own recent votes (``common.recent_votes``, written by votes right after its
  commit) are overlaid on whatever they are served wherever the read model's count is older; the
  overlay changes the counts shown, not the order of a ``top`` page.

These functions open their own (read-only) session, and only on a miss: creating a session per
request cost about as much as the whole cache hit, and a hit needs no database at all.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from common import Database, Principal
from common.recent_votes import RecentVote
from posts_service.posts import service
from posts_service.posts.cache import FEED_CACHE, Cached, FeedLookup, ResponseCache, etag_of
from posts_service.posts.feed import FeedQuery
from posts_service.posts.schemas import PostPage, PostPublic

__all__ = ["PRIVATE", "Rendered", "read_feed", "read_post"]

#: Signed-in reads: only the reader's own cache may keep them, and must revalidate (ETag) each time.
PRIVATE = "private, no-cache"


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    etag: str
    cache_control: str


def _render(model: PostPage | PostPublic) -> Cached:
    body = model.__pydantic_serializer__.to_json(model)
    posts = model.items if isinstance(model, PostPage) else [model]
    return Cached(body, etag_of(body), {str(post.id): post.vote_seq for post in posts})


def _overlay(cached: Cached, votes: Mapping[uuid.UUID, RecentVote]) -> Cached:
    """``cached`` with the reader's own newer vote counts (the bytes as they are when none applies)."""
    newer = {}
    for post_id, vote in votes.items():
        seq = cached.seqs.get(str(post_id))
        if seq is not None and vote.seq > seq:
            newer[str(post_id)] = vote.vote_count
    if not newer:
        return cached
    doc = json.loads(cached.body)
    for item in doc.get("items", [doc]):
        if item["id"] in newer:
            item["vote_count"] = newer[item["id"]]
    body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    return Cached(body, etag_of(body), cached.seqs)


def _answer(cached: Cached, cache_control: str) -> Rendered:
    return Rendered(cached.body, cached.etag, cache_control)


async def read_post(
    db: Database,
    cache: ResponseCache,
    post_id: uuid.UUID,
    viewer: Principal | None,
    *,
    public_cache_control: str,
) -> Rendered:
    lookup = await cache.lookup(cache.post_slot(post_id))
    votes = await cache.read_votes(viewer.user_id) if viewer is not None else {}
    cache_control = PRIVATE if viewer is not None else public_cache_control
    if lookup.hit is not None:
        return _answer(_overlay(lookup.hit, votes), cache_control)
    async with db.session() as session:
        post = await service.get_visible_post(session, post_id, viewer)
    rendered = _render(post)
    if post.published:  # the same bytes for everyone who may see it (a draft is its author's alone)
        await cache.store(lookup, rendered)
    return _answer(_overlay(rendered, votes), cache_control)


async def _list(db: Database, viewer: Principal | None, query: FeedQuery, exact_count_limit: int) -> Cached:
    async with db.session() as session:
        return _render(await service.list_feed(session, viewer, query, exact_count_limit=exact_count_limit))


async def _has_drafts(db: Database, cache: ResponseCache, viewer: Principal, found: FeedLookup) -> bool:
    async with db.session() as session:
        has = await service.has_drafts(session, viewer)
    await cache.store_drafts(viewer.user_id, found, has)
    return has


async def read_feed(
    db: Database,
    cache: ResponseCache,
    query: FeedQuery,
    viewer: Principal | None,
    *,
    public_cache_control: str,
    cached_pages: int,
    exact_count_limit: int,
) -> Rendered:
    cache_control = PRIVATE if viewer is not None else public_cache_control
    field = query.cache_field(cached_pages)
    if field is None:  # a cursor page, a search, a deep page: the database
        FEED_CACHE.labels("bypass").inc()
        votes = await cache.read_votes(viewer.user_id) if viewer is not None else {}
        return _answer(_overlay(await _list(db, viewer, query, exact_count_limit), votes), cache_control)
    found = await cache.lookup_feed(field, viewer.user_id if viewer is not None else None)
    if not found.ok or found.wrote:  # Redis is away, or the reader's own write must show
        FEED_CACHE.labels("bypass").inc()
        page = await _list(db, viewer, query, exact_count_limit)
        return _answer(_overlay(page, found.votes), cache_control)
    own = False
    if viewer is not None:
        own = found.drafts if found.drafts is not None else await _has_drafts(db, cache, viewer, found)
    cached = found.own if own else found.shared
    if not own and cache.refresh_due(found) and await cache.claim_refresh(field):
        cached = None  # this reader rebuilds the shared page before it expires (refresh ahead)
    if cached is not None:
        FEED_CACHE.labels("hit").inc()
    else:
        FEED_CACHE.labels("miss").inc()
        # a shared page is built as an anonymous reader sees the feed, whoever asked for it
        cached = await _list(db, viewer if own else None, query, exact_count_limit)
        key = cache.own_page_key(viewer.user_id, field) if own and viewer else cache.shared_page_key(field)
        await cache.store_page(key, found, cached)
    return _answer(_overlay(cached, found.votes), cache_control)

"""Rendered responses in Redis: the bytes a client gets, with their ETag (README: "Caching").

Two kinds of entries, with two guarantees:

* **One post** (anonymous reads): a field of a hash per post, with a version counter. A reader notes
  the version with its miss and stores only if it is unchanged (one Lua script); writers bump it
  AFTER their commit and drop the entry, so nobody ever sees a post older than the last commit.
* **Feed pages**: short-lived, and never deleted by writes. A page lives at most
  ``FEED_STALENESS_SECONDS`` after the moment its lookup began (Redis' own clock, ``TIME``; the
  database is read after that moment), so any write committed before a page was looked up is in
  every page served ``FEED_STALENESS_SECONDS`` later: bounded staleness, whatever the write rate.
  Pages are *shared*: built as an anonymous reader sees the feed, and served to anonymous readers
  and to signed-in readers without drafts (their feed is exactly that). A reader with drafts gets a
  page of their own (same lifetime).

Read-your-writes: a write's request boundary, after the commit and before the answer, marks its
writer (and the posts' authors) as having written, for ``FEED_STALENESS_SECONDS``: while marked, a
reader's feed is read from the database. When the mark ends, every page still alive began after it
was set, so after the commit. The same write bumps the reader's version, which retires their
"has drafts" flag (a reader stores that flag only at the version it noted, like a post entry).
The reader's own votes are overlaid by ``reads`` (``common.recent_votes``).

Redis is a cache here, not a dependency: if it is down, reads fall back to the database and writes
still succeed (their invalidation is logged as failed; the TTLs bound what could be stale).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import redis.asyncio as aioredis
from prometheus_client import Counter
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from common.recent_votes import RecentVote, parse_recent_votes
from common.recent_votes import key as recent_votes_key

__all__ = [
    "FEED_CACHE",
    "Cached",
    "FeedLookup",
    "Lookup",
    "ResponseCache",
    "Slot",
    "changed_posts",
    "etag_of",
    "mark_changed",
]

log = logging.getLogger("posts_service.cache")

#: The bench reads the feed cache's hit ratio from this (AGENTS.md, metrics).
FEED_CACHE = Counter("posts_feed_cache_total", "Feed page reads by cache outcome", ["result"])
for _result in ("hit", "miss", "bypass"):
    FEED_CACHE.labels(_result)

_CHANGED = "posts_changed"
_STORE_IF_CURRENT = """
local current = redis.call('GET', KEYS[2])
if (current or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""
#: KEYS[1] the page; ARGV: the lookup's start (ms, Redis clock), the bound (ms), the entry.
_STORE_PAGE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local left = tonumber(ARGV[1]) + tonumber(ARGV[2]) - now
if left <= 0 then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', left)
return 1
"""
#: KEYS[1] the reader's hash; ARGV: the version noted, the flag, the TTL.
_STORE_DRAFTS = """
if (redis.call('HGET', KEYS[1], 'v') or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'drafts', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""


def etag_of(body: bytes) -> str:
    """A strong validator derived from the bytes, so equal bodies share a tag on every replica."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def mark_changed(session: AsyncSession, *post_ids: uuid.UUID) -> None:
    """Record that this transaction changes these posts; their cache entries go once it commits."""
    session.info.setdefault(_CHANGED, set()).update(post_ids)


def changed_posts(session: AsyncSession) -> set[uuid.UUID]:
    changed: set[uuid.UUID] = session.info.pop(_CHANGED, set())
    return changed


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one post's response lives: a field of a hash, guarded by a version counter."""

    hash_key: str
    field: str
    version_key: str


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    etag: str
    #: The vote seq each post on it was rendered at (for the reader's own-vote overlay).
    seqs: Mapping[str, int] = field(default_factory=dict)

    def entry(self) -> bytes:
        seqs = ",".join(f"{post_id}={seq}" for post_id, seq in self.seqs.items())
        return self.etag.encode() + b"\n" + seqs.encode() + b"\n" + self.body

    @classmethod
    def parse(cls, raw: bytes | None) -> Cached | None:
        """The entry, or ``None`` (a miss) for nothing or for what is not an entry of this format."""
        if not raw:
            return None
        etag, _, rest = raw.partition(b"\n")
        seqs, _, body = rest.partition(b"\n")
        try:
            pairs = (pair.partition("=") for pair in seqs.decode().split(",") if pair)
            return cls(body, etag.decode(), {post_id: int(seq) for post_id, _, seq in pairs})
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Lookup:
    slot: Slot
    hit: Cached | None
    #: The slot's version when the miss was seen; ``None`` if Redis did not answer (then never store).
    version: bytes | None


@dataclass(slots=True)
class FeedLookup:
    """Everything a feed read needs from Redis, fetched in one round trip."""

    #: Redis answered; if not, the read goes to the database and stores nothing.
    ok: bool = False
    #: When the lookup ran, in ms of Redis' clock: a page stored from it expires by then + the bound.
    started_ms: int = 0
    shared: Cached | None = None
    #: How long the shared page has left, in ms (negative when there is none).
    shared_left_ms: int = -2
    own: Cached | None = None
    #: The reader wrote within the bound: their read goes to the database.
    wrote: bool = False
    #: Whether the reader has drafts (their own page), ``None`` when not known.
    drafts: bool | None = None
    #: The reader's version when looked up (a "has drafts" flag is stored only at it).
    version: bytes = b"0"
    votes: dict[uuid.UUID, RecentVote] = field(default_factory=dict)


class ResponseCache:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        ttl_seconds: int,
        staleness_seconds: float = 1.0,
        prefix: str = "posts:cache",
    ) -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.staleness_ms = max(1, int(staleness_seconds * 1000))
        self.prefix = prefix
        self._store = redis.register_script(_STORE_IF_CURRENT)
        self._store_page = redis.register_script(_STORE_PAGE)
        self._store_drafts = redis.register_script(_STORE_DRAFTS)

    # --- keys ------------------------------------------------------------------------------------
    def post_slot(self, post_id: uuid.UUID) -> Slot:
        # field "e2": entries carry vote seqs; a release before this one reads and writes field "r"
        return Slot(f"{self.prefix}:post:{post_id}", "e2", f"{self.prefix}:post:{post_id}:v")

    def shared_page_key(self, query: str) -> str:
        return f"{self.prefix}:feed:s:{query}"

    def own_page_key(self, reader_id: uuid.UUID, query: str) -> str:
        return f"{self.prefix}:feed:r:{reader_id}:{query}"

    def wrote_key(self, user_id: uuid.UUID) -> str:
        return f"{self.prefix}:wrote:{user_id}"

    def reader_key(self, user_id: uuid.UUID) -> str:
        return f"{self.prefix}:reader:{user_id}"

    # --- one post ----------------------------------------------------------------------------------
    async def lookup(self, slot: Slot) -> Lookup:
        """A hit costs one round trip; a miss also notes the version, before the caller reads the database."""
        try:
            # redis-py types replies as str; this client does not decode, so they are bytes
            raw = cast("bytes | None", await self.redis.hget(slot.hash_key, slot.field))
            hit = Cached.parse(raw)
            if hit is not None:
                return Lookup(slot, hit, None)
            version = cast("bytes | None", await self.redis.get(slot.version_key))
        except RedisError as exc:
            log.warning("cache lookup failed", extra={"error": repr(exc)[:200]})
            return Lookup(slot, None, None)
        return Lookup(slot, None, version or b"0")

    async def store(self, lookup: Lookup, cached: Cached) -> None:
        if lookup.version is None:
            return
        slot = lookup.slot
        try:
            await self._store(
                keys=[slot.hash_key, slot.version_key],
                args=[lookup.version, slot.field, cached.entry(), self.ttl],
            )
        except RedisError as exc:
            log.warning("cache store failed", extra={"error": repr(exc)[:200]})

    # --- feed pages ------------------------------------------------------------------------------
    async def lookup_feed(self, query: str, reader_id: uuid.UUID | None) -> FeedLookup:
        """The shared page, and for a signed-in reader their state, own page and recent votes."""
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.time()
                pipe.get(self.shared_page_key(query))
                pipe.pttl(self.shared_page_key(query))
                if reader_id is not None:
                    pipe.get(self.wrote_key(reader_id))
                    pipe.hmget(self.reader_key(reader_id), ["v", "drafts"])
                    pipe.get(self.own_page_key(reader_id, query))
                    pipe.hgetall(recent_votes_key(reader_id))
                replies: list[Any] = await pipe.execute()
        except RedisError as exc:
            log.warning("feed cache lookup failed", extra={"error": repr(exc)[:200]})
            return FeedLookup()
        seconds, micros = replies[0]
        found = FeedLookup(ok=True, started_ms=int(seconds) * 1000 + int(micros) // 1000)
        found.shared = Cached.parse(replies[1])
        found.shared_left_ms = int(replies[2])
        if reader_id is not None:
            wrote, (version, drafts), own, votes = replies[3:]
            found.wrote = wrote is not None
            found.version = version or b"0"
            found.drafts = None if drafts is None else drafts == b"1"
            found.own = Cached.parse(own)
            found.votes = parse_recent_votes(votes)
        return found

    async def store_page(self, key: str, lookup: FeedLookup, cached: Cached) -> None:
        """Keep a page until its lookup's start plus the bound (nothing if that has passed)."""
        try:
            await self._store_page(keys=[key], args=[lookup.started_ms, self.staleness_ms, cached.entry()])
        except RedisError as exc:
            log.warning("feed cache store failed", extra={"error": repr(exc)[:200]})

    def refresh_due(self, lookup: FeedLookup) -> bool:
        """The shared page is in the last half of its life: time for one reader to rebuild it."""
        return lookup.shared is not None and 0 <= lookup.shared_left_ms < self.staleness_ms // 2

    async def claim_refresh(self, query: str) -> bool:
        """Whether this reader rebuilds the shared page ahead of its expiry (one per half-life; the
        others go on serving the page, still within the bound). Without it, every reader in flight
        when a page expires misses at once and all of them query the database (a stampede, once per
        bound)."""
        try:
            claimed = await self.redis.set(
                f"{self.shared_page_key(query)}:refresh", b"1", nx=True, px=max(1, self.staleness_ms // 2)
            )
        except RedisError as exc:
            log.warning("feed cache refresh claim failed", extra={"error": repr(exc)[:200]})
            return False
        return bool(claimed)

    async def store_drafts(self, reader_id: uuid.UUID, lookup: FeedLookup, has_drafts: bool) -> None:
        """Remember whether the reader has drafts, unless they wrote since the lookup."""
        try:
            await self._store_drafts(
                keys=[self.reader_key(reader_id)], args=[lookup.version, int(has_drafts), self.ttl]
            )
        except RedisError as exc:
            log.warning("drafts flag store failed", extra={"error": repr(exc)[:200]})

    async def read_votes(self, reader_id: uuid.UUID) -> dict[uuid.UUID, RecentVote]:
        try:
            raw = await self.redis.hgetall(recent_votes_key(reader_id))
        except RedisError as exc:
            log.warning("recent votes lookup failed", extra={"error": repr(exc)[:200]})
            return {}
        return parse_recent_votes(raw)

    # --- after a commit ----------------------------------------------------------------------------
    async def invalidate(self, post_ids: Iterable[uuid.UUID], writers: Iterable[uuid.UUID] = ()) -> None:
        """Forget these posts' entries (bump their versions so in-flight readers store nothing) and
        mark ``writers`` as having just written. Feed pages are left to expire (bounded staleness)."""
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                for post_id in post_ids:
                    slot = self.post_slot(post_id)
                    pipe.incr(slot.version_key)
                    # outlives any reader still holding the old version (reads time out long before)
                    pipe.expire(slot.version_key, self.ttl * 2 + 60)
                    pipe.delete(slot.hash_key)
                for user_id in writers:
                    pipe.set(self.wrote_key(user_id), 1, px=self.staleness_ms)
                    reader = self.reader_key(user_id)
                    # the version moves first: a reader's flag store in between is refused by it
                    pipe.hincrby(reader, "v", 1)
                    pipe.hdel(reader, "drafts")
                    pipe.expire(reader, self.ttl)
                await pipe.execute()
        except RedisError as exc:
            log.warning("cache invalidation failed", extra={"error": repr(exc)[:200]})

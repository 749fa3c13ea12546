"""Rendered responses in Redis: the bytes a client gets, with their ETag.

Cached: anonymous reads (one post; the first feed pages) and each signed-in reader's own first feed
pages (a hash per reader, its entries tied to the feed's version; see ``Slot.versioned``). The hot
path is one Redis round trip and no database or serialisation. An author sees their own write in the
very next read because the write retires the entries before its response is sent (below).

Staleness is prevented, not just bounded by the TTL:

* Every slot (a field of a Redis hash) has a version counter. A reader notes the version together
  with its cache miss, and stores what it rendered only if the version is still the same (one Lua
  script, atomic). Writers bump the version AFTER their commit. A reader that raced a write therefore
  either read the database after the commit, or finds the version moved and stores nothing.
* Writes mark the posts they change in ``session.info`` (:func:`mark_changed`); the request boundary
  invalidates them once the transaction committed, and event consumers do the same in their
  ``after_commit`` hook. Any change to any post invalidates every cached feed page.

Redis is a cache here, not a dependency: if it is down, reads fall back to the database and writes
still succeed (their invalidation is logged as failed, and the TTL bounds what could be stale).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = ["Cached", "Lookup", "ResponseCache", "Slot", "changed_posts", "etag_of", "mark_changed"]

log = logging.getLogger("posts_service.cache")

_CHANGED = "posts_changed"
_STORE_IF_CURRENT = """
local current = redis.call('GET', KEYS[2])
if (current or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
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
    """Where one response lives: a field of a hash, guarded by a version counter."""

    hash_key: str
    field: str
    version_key: str
    #: The entry carries the version it was rendered at and counts only while that is current. For
    #: slots that invalidation cannot name (a hash per signed-in reader): a write bumps the version
    #: and their entries stop counting at once, while the keys expire on their own (bounded memory).
    versioned: bool = False


@dataclass(frozen=True, slots=True)
class Cached:
    body: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class Lookup:
    slot: Slot
    hit: Cached | None
    #: The slot's version when the miss was seen; ``None`` if Redis did not answer (then never store).
    version: bytes | None


class ResponseCache:
    def __init__(self, redis: aioredis.Redis, *, ttl_seconds: int, prefix: str = "posts:cache") -> None:
        self.redis = redis
        self.ttl = ttl_seconds
        self.prefix = prefix
        self._store = redis.register_script(_STORE_IF_CURRENT)
        self._feed_version = f"{prefix}:feed:v"

    def post_slot(self, post_id: uuid.UUID) -> Slot:
        return Slot(f"{self.prefix}:post:{post_id}", "r", f"{self.prefix}:post:{post_id}:v")

    def feed_slot(self, query: str) -> Slot:
        return Slot(f"{self.prefix}:feed", query, self._feed_version)

    def reader_feed_slot(self, reader_id: uuid.UUID, query: str) -> Slot:
        """A signed-in reader's own feed page (it may hold their drafts): only they read it."""
        return Slot(f"{self.prefix}:feed:reader:{reader_id}", query, self._feed_version, versioned=True)

    async def _lookup_versioned(self, slot: Slot) -> Lookup:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.hget(slot.hash_key, slot.field)
            pipe.get(slot.version_key)
            raw, version = cast("list[bytes | None]", await pipe.execute())
        if version is None:
            # Never written, or evicted: start from a random point, so a counter that starts over can
            # never come back to the version of an entry still stored. Nothing is stored this time.
            await self.redis.set(slot.version_key, secrets.randbits(48), nx=True)
            return Lookup(slot, None, None)
        if raw:
            stored_at, _, rest = raw.partition(b"\n")
            if stored_at == version:
                etag, _, body = rest.partition(b"\n")
                return Lookup(slot, Cached(body, etag.decode()), None)
        return Lookup(slot, None, version)

    async def lookup(self, slot: Slot) -> Lookup:
        """A hit costs one round trip; a miss also notes the version, before the caller reads the database."""
        try:
            if slot.versioned:
                return await self._lookup_versioned(slot)
            # redis-py types replies as str; this client does not decode, so they are bytes
            raw = cast("bytes | None", await self.redis.hget(slot.hash_key, slot.field))
            if raw:
                etag, _, body = raw.partition(b"\n")
                return Lookup(slot, Cached(body, etag.decode()), None)
            version = cast("bytes | None", await self.redis.get(slot.version_key))
        except RedisError as exc:
            log.warning("cache lookup failed", extra={"error": repr(exc)[:200]})
            return Lookup(slot, None, None)
        return Lookup(slot, None, version or b"0")

    async def store(self, lookup: Lookup, body: bytes, etag: str) -> None:
        if lookup.version is None:
            return
        slot = lookup.slot
        try:
            await self._store(
                keys=[slot.hash_key, slot.version_key],
                args=[lookup.version, slot.field, self._entry(lookup, etag, body), self.ttl],
            )
        except RedisError as exc:
            log.warning("cache store failed", extra={"error": repr(exc)[:200]})

    @staticmethod
    def _entry(lookup: Lookup, etag: str, body: bytes) -> bytes:
        entry = etag.encode() + b"\n" + body
        if lookup.slot.versioned and lookup.version is not None:
            entry = lookup.version + b"\n" + entry
        return entry

    async def invalidate(self, post_ids: Iterable[uuid.UUID]) -> None:
        """Forget these posts and every feed page; bump versions so in-flight readers store nothing.

        Readers' own pages are not deleted (they cannot be named): the bumped feed version retires them.
        """
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for post_id in post_ids:
                    slot = self.post_slot(post_id)
                    pipe.incr(slot.version_key)
                    # outlives any reader still holding the old version (reads time out long before)
                    pipe.expire(slot.version_key, self.ttl * 2 + 60)
                    pipe.delete(slot.hash_key)
                pipe.incr(self._feed_version)
                pipe.delete(f"{self.prefix}:feed")
                await pipe.execute()
        except RedisError as exc:
            log.warning("cache invalidation failed", extra={"error": repr(exc)[:200]})

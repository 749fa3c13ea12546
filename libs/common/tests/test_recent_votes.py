"""The voter's recent votes in Redis: the contract votes writes and posts reads (``common.recent_votes``)."""

from __future__ import annotations

import uuid

import redis.asyncio as aioredis

from common.recent_votes import TTL_SECONDS, RecentVote, key, read_recent_votes, record_votes

REDIS_URL = "redis://127.0.0.1:6379/15"


async def test_the_newest_seq_wins_and_the_hash_expires_on_its_own() -> None:
    user, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for decode in (False, True):  # posts' client reads bytes, votes' decodes: both work
        redis = aioredis.Redis.from_url(REDIS_URL, decode_responses=decode)
        try:
            await redis.delete(key(user))
            await record_votes(redis, user, {first: RecentVote(3, 7), second: (1, 1)})
            await record_votes(redis, user, {first: RecentVote(2, 6)})  # an older change, recorded late
            assert await read_recent_votes(redis, user) == {first: (3, 7), second: (1, 1)}
            await record_votes(redis, user, {first: RecentVote(4, 8)})
            assert (await read_recent_votes(redis, user))[first] == RecentVote(4, 8)
            assert 0 < await redis.ttl(key(user)) <= TTL_SECONDS
            await redis.hset(key(user), "not-a-post", "x")  # a stray field is skipped, not an error
            assert set(await read_recent_votes(redis, user)) == {first, second}
        finally:
            await redis.delete(key(user))
            await redis.aclose()


async def test_recording_without_redis_is_logged_not_raised(caplog) -> None:
    dead = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        await record_votes(dead, uuid.uuid4(), {uuid.uuid4(): RecentVote(1, 1)})
    finally:
        await dead.aclose()
    assert "recent votes not recorded" in caplog.text

"""A voter's own recent votes in Redis, so that their next read shows them on any posts replica.

Posts' vote counts are a read model fed asynchronously by votes' events; for moments after a vote
the voter would still see the old count. Votes therefore writes, right after its commit, the post's
absolute count and per-post seq (the same two numbers its event carries) into one small hash per
voter; posts' read path merges it into what it serves that voter wherever its own stored seq is
older. Once the read model has caught up (its seq is as new) the entry changes nothing, and it
expires on its own.

The contract (both sides use only this module):

* key ``recent-votes:<user id>``, a hash; field: the post id; value: ``"<count>:<seq>"``;
* an entry is replaced only by a higher seq (two concurrent votes of one user on one post);
* the key lives :data:`TTL_SECONDS` after the voter's last vote (far longer than the events take).

Writing is best effort: the vote is committed already, and a Redis failure is logged, not raised
(the voter then sees their vote once the event is applied, as everyone else does).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "KEY_PREFIX",
    "TTL_SECONDS",
    "RecentVote",
    "key",
    "note_vote",
    "parse_recent_votes",
    "read_recent_votes",
    "record_noted_votes",
    "record_votes",
]

log = logging.getLogger("common.recent_votes")

_NOTED = "recent_votes"
KEY_PREFIX = "recent-votes"
#: How long a voter's entries outlive their last vote: the read model is normally seconds behind.
TTL_SECONDS = 120

#: KEYS[1] the voter's hash; ARGV: ttl, then (post id, count, seq) triples. Keeps the higher seq.
_RECORD = """
for i = 2, #ARGV, 3 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  local old_seq = old and tonumber(string.match(old, ':(%d+)$')) or -1
  if tonumber(ARGV[i + 2]) > old_seq then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ':' .. ARGV[i + 2])
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""


class RecentVote(NamedTuple):
    vote_count: int
    seq: int


def key(user_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}:{user_id}"


async def record_votes(
    redis: aioredis.Redis, user_id: uuid.UUID, votes: Mapping[uuid.UUID, RecentVote | tuple[int, int]]
) -> None:
    """Votes' side, after its commit: remember the voter's new counts (one round trip)."""
    if not votes:
        return
    args: list[Any] = [TTL_SECONDS]
    for post_id, (count, seq) in votes.items():
        args += [str(post_id), int(count), int(seq)]
    try:
        await redis.eval(_RECORD, 1, key(user_id), *args)
    except RedisError as exc:
        log.warning("recent votes not recorded", extra={"error": repr(exc)[:200]})


def note_vote(session: AsyncSession, post_id: uuid.UUID, vote_count: int, seq: int) -> None:
    """Votes' side, inside the transaction: this vote change is to be recorded once it commits."""
    noted: dict[uuid.UUID, RecentVote] = session.info.setdefault(_NOTED, {})
    if post_id not in noted or seq > noted[post_id].seq:
        noted[post_id] = RecentVote(vote_count, seq)


async def record_noted_votes(redis: aioredis.Redis, session: AsyncSession, user_id: uuid.UUID) -> None:
    """Votes' request boundary, after the commit: record what :func:`note_vote` noted."""
    noted: dict[uuid.UUID, RecentVote] = session.info.pop(_NOTED, {})
    await record_votes(redis, user_id, noted)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


async def read_recent_votes(redis: aioredis.Redis, user_id: uuid.UUID) -> dict[uuid.UUID, RecentVote]:
    """Posts' side: the voter's recent counts by post (raises ``RedisError``; the caller decides).

    Works with clients that decode replies and with those that do not.
    """
    return parse_recent_votes(await redis.hgetall(key(user_id)))


def parse_recent_votes(raw: Mapping[bytes | str, bytes | str]) -> dict[uuid.UUID, RecentVote]:
    """The hash's fields and values as :class:`RecentVote` by post (a malformed entry is skipped)."""
    votes: dict[uuid.UUID, RecentVote] = {}
    for field, value in raw.items():
        try:
            count, _, seq = _text(value).partition(":")
            votes[uuid.UUID(_text(field))] = RecentVote(int(count), int(seq))
        except ValueError:
            continue
    return votes

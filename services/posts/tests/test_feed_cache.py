"""The feed cache's two guarantees, as readers see them (README: "Caching").

* Others' writes (create, edit, delete, vote) show in a reader's feed within the staleness bound
  (``FEED_STALENESS_SECONDS``, 0.5 s in this suite), and not necessarily before: writes do not
  empty the shared pages.
* A reader's own create, edit, delete and vote show in their very next read, even while a shared
  page is cached; the vote through the small Redis hash votes writes after its commit
  (``common.recent_votes``), as the read model follows votes' events only later.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any, cast

import httpx
import redis.asyncio as aioredis
from fastapi import FastAPI

from common.events.schemas import VoteCast
from common.recent_votes import RecentVote, record_votes
from common_testing import TokenFactory, eventually
from posts_service.posts.cache import ResponseCache
from posts_service.state import state_of

POSTS = "/api/v1/posts"


def _bound(app: FastAPI) -> float:
    bound: float = state_of(app).settings.feed_staleness_seconds
    return bound


async def _feed(client: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any) -> Any:
    response = await client.get(POSTS, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()


def _titles(page: Any) -> list[str]:
    return [p["title"] for p in page["items"]]


async def _metric(client: httpx.AsyncClient, result: str) -> float:
    text = (await client.get("/metrics")).text
    found = re.search(rf'^posts_feed_cache_total{{result="{result}"}} (\S+)$', text, re.MULTILINE)
    assert found, f"posts_feed_cache_total{{result={result!r}}} missing from /metrics"
    return float(found.group(1))


async def test_others_writes_show_within_the_bound_and_not_before(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post
) -> None:
    _, alice = tokens.user()
    _, bob = tokens.user()
    old = await new_post(alice, title="Old")
    gone = await new_post(alice, title="Gone")
    bound = _bound(app)
    for write in ("create", "edit", "delete"):
        await asyncio.sleep(bound)  # whatever page was cached has expired: the next read stores one
        started = time.monotonic()
        before = _titles(await _feed(client, bob))
        stored = time.monotonic()  # the page expires between started + bound and stored + bound
        if write == "create":
            await new_post(alice, title="New")
        elif write == "edit":
            await client.patch(f"{POSTS}/{old['id']}", json={"title": "Edited"}, headers=alice)
        else:
            await client.delete(f"{POSTS}/{gone['id']}", headers=alice)
        seen = _titles(await _feed(client, bob))
        # In the first half of its life the shared page is kept as it was (the write empties nothing);
        # in the second half one reader may rebuild it early (refresh ahead), which the bound allows.
        if time.monotonic() - started < bound * 0.45:
            assert seen == before, write
        await asyncio.sleep(max(0.0, stored + bound - time.monotonic()))
        assert _titles(await _feed(client, bob)) != before, write  # the bound has passed: shown
    assert _titles(await _feed(client, bob)) == ["New", "Edited"]


async def test_others_votes_show_within_the_bound(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit
) -> None:
    _, alice = tokens.user()
    post = await new_post(alice)
    assert (await _feed(client))["items"][0]["vote_count"] == 0  # a shared page is cached
    await emit(VoteCast(post_id=post["id"], user_id=uuid.uuid4(), vote_count=1, seq=1))

    async def counted() -> bool:
        return bool((await _feed(client))["items"][0]["vote_count"] == 1)

    # the consumer's lag plus the bound (the bound alone once the event is applied)
    await eventually(counted, within=_bound(app) + 3)


async def test_your_own_writes_show_in_your_next_read_while_a_shared_page_is_cached(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post
) -> None:
    _, alice = tokens.user()
    _, bob = tokens.user()
    await new_post(bob, title="Bob's")
    hits = await _metric(client, "hit")
    assert _titles(await _feed(client, alice)) == ["Bob's"]
    assert _titles(await _feed(client, tokens.user()[1])) == ["Bob's"]  # the same shared page
    assert await _metric(client, "hit") > hits
    mine = await new_post(alice, title="Mine")
    assert _titles(await _feed(client, alice)) == ["Mine", "Bob's"]
    await client.patch(f"{POSTS}/{mine['id']}", json={"title": "Mine, edited"}, headers=alice)
    assert _titles(await _feed(client, alice)) == ["Mine, edited", "Bob's"]
    assert (await client.get(f"{POSTS}/{mine['id']}", headers=alice)).json()["title"] == "Mine, edited"
    await client.delete(f"{POSTS}/{mine['id']}", headers=alice)
    assert _titles(await _feed(client, alice)) == ["Bob's"]
    assert (await _feed(client, alice, page=1))["total"] == 1
    assert (await client.get(f"{POSTS}/{mine['id']}", headers=alice)).status_code == 404


async def test_your_own_vote_shows_in_your_next_read_until_the_read_model_has_it(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit
) -> None:
    alice_user, alice = tokens.user()
    _, bob = tokens.user()
    post = await new_post(bob)
    url = f"{POSTS}/{post['id']}"
    shared = await client.get(POSTS, headers=alice)  # the shared page, cached
    assert shared.json()["items"][0]["vote_count"] == 0
    assert (await client.get(url)).json()["vote_count"] == 0  # the post's entry, cached
    # what votes does right after committing alice's vote (its event reaches posts later)
    redis: aioredis.Redis = state_of(app).cache.redis
    await record_votes(redis, alice_user.user_id, {uuid.UUID(post["id"]): RecentVote(1, 1)})
    mine = await client.get(POSTS, headers=alice)
    assert mine.json()["items"][0]["vote_count"] == 1
    assert mine.headers["etag"] != shared.headers["etag"]
    again = await client.get(POSTS, headers={**alice, "If-None-Match": mine.headers["etag"]})
    assert again.status_code == 304
    assert (await client.get(url, headers=alice)).json()["vote_count"] == 1
    searched = await client.get(POSTS, params={"q": "content"}, headers=alice)
    assert searched.json()["items"][0]["vote_count"] == 1  # an uncached read too
    assert (await client.get(POSTS, headers=bob)).json()["items"][0]["vote_count"] == 0  # bob: the read model
    # the read model catches up, then moves past alice's vote: her older entry no longer applies
    for voter, count in ((alice_user.user_id, 1), (uuid.uuid4(), 2)):
        await emit(VoteCast(post_id=post["id"], user_id=voter, vote_count=count, seq=count))

    async def both_see_two() -> bool:
        counts = [(await client.get(POSTS, headers=h)).json()["items"][0]["vote_count"] for h in (alice, bob)]
        return counts == [2, 2] and (await client.get(url, headers=alice)).json()["vote_count"] == 2

    await eventually(both_see_two, within=_bound(app) + 3)


async def test_a_reader_never_sees_someone_elses_draft(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post
) -> None:
    alice_user, alice = tokens.user()
    _, bob = tokens.user()
    await new_post(bob, title="Public")
    assert _titles(await _feed(client, bob)) == ["Public"]  # the shared page, cached
    draft = await new_post(alice, title="Draft", published=False)
    assert _titles(await _feed(client, alice)) == ["Draft", "Public"]  # her next read
    await asyncio.sleep(_bound(app))  # her write's mark has ended: from now on, her own cached page
    for _ in range(2):
        assert _titles(await _feed(client, alice)) == ["Draft", "Public"]
        assert (await _feed(client, alice, page=1))["total"] == 2
        for reader in (bob, {}):
            assert _titles(await _feed(client, reader)) == ["Public"]
            assert (await _feed(client, reader, page=1))["total"] == 1
    cache: ResponseCache = state_of(app).cache
    own = cache.own_page_key(alice_user.user_id, "new||0|20")
    assert 0 < await cache.redis.pttl(own) <= _bound(app) * 1000  # short-lived, like the shared pages
    await client.patch(f"{POSTS}/{draft['id']}", json={"published": True}, headers=alice)
    assert _titles(await _feed(client, alice)) == ["Draft", "Public"]

    async def bob_sees_it() -> bool:
        return _titles(await _feed(client, bob)) == ["Draft", "Public"]

    await eventually(bob_sees_it, within=_bound(app) + 1)


async def test_with_the_cache_down_reads_use_the_database_and_writes_succeed(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post
) -> None:
    _, alice = tokens.user()
    post = await new_post(alice, title="Before")
    working = state_of(app).cache
    dead = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5, socket_timeout=0.5)
    state_of(app).cache = ResponseCache(dead, ttl_seconds=60, staleness_seconds=_bound(app))
    bypassed = await _metric(client, "bypass")
    try:
        for headers in ({}, alice):
            assert _titles(await _feed(client, headers)) == ["Before"]
            assert (await client.get(f"{POSTS}/{post['id']}", headers=headers)).status_code == 200
        edited = await client.patch(f"{POSTS}/{post['id']}", json={"title": "After"}, headers=alice)
        assert edited.status_code == 200
        assert (await new_post(alice, title="Another"))["title"] == "Another"
        for headers in ({}, alice):
            assert _titles(await _feed(client, headers)) == ["Another", "After"]
        assert await _metric(client, "bypass") >= bypassed + 4
    finally:
        state_of(app).cache = working
        await dead.aclose()


async def test_an_expiring_shared_page_is_rebuilt_by_one_reader_not_by_every_reader_in_flight(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post
) -> None:
    """No stampede: in the last half of a shared page's life exactly one of the readers in flight
    rebuilds it from the database, while the others are still served the page (within the bound)."""
    _, alice = tokens.user()
    await new_post(alice, title="Kept")
    cache: ResponseCache = state_of(app).cache
    bound = _bound(app)
    await asyncio.sleep(bound)  # no page left from an earlier test
    await _feed(client, limit=7)  # stores the shared page
    stored = cast("list[bytes]", await cache.redis.keys(cache.shared_page_key("*")))  # a bytes client
    pages = [k for k in stored if not k.endswith(b":refresh")]
    assert len(pages) == 1
    # Into the last half of its life, with time left for the burst: a third of the bound to go.
    await cache.redis.pexpire(pages[0], int(bound * 1000 / 3))
    misses, hits = await _metric(client, "miss"), await _metric(client, "hit")
    readers = 12
    served = await asyncio.gather(*(_feed(client, limit=7) for _ in range(readers)))
    assert all(_titles(page) == ["Kept"] for page in served)
    assert await _metric(client, "miss") - misses == 1  # one rebuild ...
    assert await _metric(client, "hit") - hits == readers - 1  # ... and every other reader had the page
    assert await cache.redis.pttl(pages[0]) > bound * 1000 / 2  # the rebuilt page starts a new life

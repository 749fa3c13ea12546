"""``Idempotency-Key`` on post create: a retry never writes twice (common.idempotency; media: test_media)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from common import Principal
from common_testing import TokenFactory, eventually
from posts_service.state import state_of

POSTS = "/api/v1/posts"
Sql = Callable[..., Awaitable[list[Any]]]


async def _count(sql: Sql, author: Principal) -> int:
    [(count,)] = await sql("SELECT count(*) FROM posts WHERE author_id = :a", a=author.user_id)
    return int(count)


async def test_an_identical_retry_replays_the_first_answer_and_creates_one_post(
    client: httpx.AsyncClient, tokens: TokenFactory, sql: Sql
):
    user, alice = tokens.user()
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Once", "content": "only once"}
    first = await client.post(POSTS, json=body, headers={**alice, **key})
    again = await client.post(POSTS, json=body, headers={**alice, **key})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _count(sql, user) == 1
    # The key is the user's: someone else's request with the same key is a request of its own.
    _, bob = tokens.user()
    other = await client.post(POSTS, json=body, headers={**bob, **key})
    assert other.status_code == 201
    assert other.json()["id"] != first.json()["id"]
    # Without a key every request is its own post, as before.
    plain = [await client.post(POSTS, json=body, headers=alice) for _ in range(2)]
    assert [p.status_code for p in plain] == [201, 201]
    assert await _count(sql, user) == 3


async def test_the_same_key_with_another_payload_is_a_422(
    client: httpx.AsyncClient, tokens: TokenFactory, sql: Sql
):
    user, alice = tokens.user()
    key = {"Idempotency-Key": f'"{uuid.uuid4()}"'}  # the draft's structured-field string form
    assert (
        await client.post(POSTS, json={"title": "A", "content": "a"}, headers={**alice, **key})
    ).status_code == 201
    other = await client.post(POSTS, json={"title": "B", "content": "b"}, headers={**alice, **key})
    assert other.status_code == 422, other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert "different request" in other.json()["detail"]
    assert await _count(sql, user) == 1


async def test_a_malformed_key_is_a_400(client: httpx.AsyncClient, tokens: TokenFactory, sql: Sql):
    user, alice = tokens.user()
    for bad in ("", "two words", "x" * 256, 'a"b', "a\\b"):
        refused = await client.post(
            POSTS, json={"title": "t", "content": "c"}, headers={**alice, "Idempotency-Key": bad}
        )
        assert refused.status_code == 400, bad
        assert refused.json()["type"].endswith("/bad-idempotency-key")
    longest = await client.post(
        POSTS, json={"title": "t", "content": "c"}, headers={**alice, "Idempotency-Key": "k" * 255}
    )
    assert longest.status_code == 201
    assert await _count(sql, user) == 1


async def test_a_client_that_times_out_and_retries_never_creates_two_posts(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, sql: Sql
):
    """The first attempt is held inside its transaction (posts locked by another session) when the
    retry arrives: 409, nothing written. Once it completes, the next retry replays it."""
    user, alice = tokens.user()
    headers = {**alice, "Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Slow", "content": "the first attempt is slow"}
    async with state_of(app).db.engine.connect() as blocker:
        transaction = await blocker.begin()
        await blocker.execute(text("LOCK TABLE posts IN EXCLUSIVE MODE"))  # reads go on, inserts wait
        first = asyncio.create_task(client.post(POSTS, json=body, headers=headers))

        async def first_holds_the_key() -> bool:
            rows = await sql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            return bool(rows[0][0])

        await eventually(first_holds_the_key)
        retry = await client.post(POSTS, json=body, headers=headers)
        assert retry.status_code == 409, retry.text
        assert retry.json()["type"].endswith("/idempotency-key-in-use")
        assert retry.headers["retry-after"] == "1"
        assert not first.done()
        await transaction.rollback()
    created = await first
    assert created.status_code == 201, created.text
    replayed = await client.post(POSTS, json=body, headers=headers)
    assert replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["id"] == created.json()["id"]
    assert await _count(sql, user) == 1


async def test_a_failed_first_attempt_leaves_the_key_free_and_an_expired_key_is_new(
    client: httpx.AsyncClient, tokens: TokenFactory, sql: Sql
):
    user, alice = tokens.user()
    headers = {**alice, "Idempotency-Key": str(uuid.uuid4())}
    too_long = await client.post(POSTS, json={"title": "t" * 1000, "content": "c"}, headers=headers)
    assert too_long.status_code == 422  # refused before anything was done: the key stays unused
    first = await client.post(POSTS, json={"title": "t", "content": "c"}, headers=headers)
    assert first.status_code == 201
    await sql("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    after_expiry = await client.post(POSTS, json={"title": "t", "content": "c"}, headers=headers)
    assert after_expiry.status_code == 201
    assert "idempotent-replayed" not in after_expiry.headers
    assert after_expiry.json()["id"] != first.json()["id"]
    assert await _count(sql, user) == 2
    [(live, expired)] = await sql(
        "SELECT count(*) FILTER (WHERE expires_at > now()), count(*) FILTER (WHERE expires_at <= now()) "
        "FROM idempotency_keys"
    )
    assert (live, expired) == (1, 0)  # the expired rows went when the new key was recorded

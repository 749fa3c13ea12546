"""Posts through its HTTP surface: what a client sees."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from common.db import asyncpg_dsn
from common.events.schemas import UserRegistered, UserUpdated, VoteCast, VoteRetracted
from common.events.tables import OUTBOX_CHANNEL
from common_testing import TokenFactory, eventually
from posts_service.state import state_of


async def test_create_then_read_shows_author_and_zero_votes(client: httpx.AsyncClient, tokens: TokenFactory):
    user, auth = tokens.user("alice")
    created = await client.post("/api/v1/posts", json={"title": "Hello", "content": "World"}, headers=auth)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["author"] == {"id": str(user.user_id), "username": "alice"}
    assert body["vote_count"] == 0
    fetched = await client.get(f"/api/v1/posts/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["title"] == "Hello"


async def test_create_requires_a_token(client: httpx.AsyncClient):
    response = await client.post("/api/v1/posts", json={"title": "t", "content": "c"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization" in response.json()["detail"]


async def test_tampered_token_is_refused(client: httpx.AsyncClient, tokens: TokenFactory):
    _, auth = tokens.user()
    header, payload, signature = auth["Authorization"].removeprefix("Bearer ").split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    response = await client.post(
        "/api/v1/posts", json={"title": "t", "content": "c"}, headers={"Authorization": f"Bearer {tampered}"}
    )
    assert response.status_code == 401


async def test_identity_headers_are_not_trusted(client: httpx.AsyncClient):
    response = await client.post(
        "/api/v1/posts",
        json={"title": "t", "content": "c"},
        headers={"X-User-Id": str(uuid.uuid4()), "X-User-Name": "mallory", "X-User-Role": "admin"},
    )
    assert response.status_code == 401


async def test_bad_input_gets_clear_422(client: httpx.AsyncClient, tokens: TokenFactory):
    _, auth = tokens.user()
    missing = await client.post("/api/v1/posts", json={"title": "only a title"}, headers=auth)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "content"]
    wrong_type = await client.post("/api/v1/posts", json={"title": 5, "content": []}, headers=auth)
    assert wrong_type.status_code == 422
    too_long = await client.post("/api/v1/posts", json={"title": "x" * 201, "content": "c"}, headers=auth)
    assert too_long.status_code == 422
    owner_forged = await client.post(
        "/api/v1/posts", json={"title": "t", "content": "c", "author_id": str(uuid.uuid4())}, headers=auth
    )
    assert owner_forged.status_code == 422


async def test_unknown_post_is_404_and_malformed_id_is_422(client: httpx.AsyncClient):
    assert (await client.get(f"/api/v1/posts/{uuid.uuid4()}")).status_code == 404
    assert (await client.get("/api/v1/posts/not-a-uuid")).status_code == 422


async def test_drafts_are_visible_to_their_author_only(client: httpx.AsyncClient, tokens: TokenFactory):
    _, alice = tokens.user()
    _, bob = tokens.user()
    draft = (
        await client.post(
            "/api/v1/posts", json={"title": "d", "content": "c", "published": False}, headers=alice
        )
    ).json()
    assert (await client.get(f"/api/v1/posts/{draft['id']}", headers=alice)).status_code == 200
    assert (await client.get(f"/api/v1/posts/{draft['id']}", headers=bob)).status_code == 404
    assert (await client.get(f"/api/v1/posts/{draft['id']}")).status_code == 404
    feed_ids = [p["id"] for p in (await client.get("/api/v1/posts", headers=bob)).json()["items"]]
    assert draft["id"] not in feed_ids
    own_feed_ids = [p["id"] for p in (await client.get("/api/v1/posts", headers=alice)).json()["items"]]
    assert draft["id"] in own_feed_ids


async def test_feed_is_newest_first_and_pages_without_gaps(client: httpx.AsyncClient, tokens: TokenFactory):
    _, auth = tokens.user()
    ids = [
        (await client.post("/api/v1/posts", json={"title": f"p{i}", "content": "c"}, headers=auth)).json()[
            "id"
        ]
        for i in range(7)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/posts", params=params)).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_page_size_is_capped_and_bad_cursor_is_400(client: httpx.AsyncClient):
    assert (await client.get("/api/v1/posts", params={"limit": 101})).status_code == 422
    assert (await client.get("/api/v1/posts", params={"limit": 0})).status_code == 422
    bad = await client.get("/api/v1/posts", params={"cursor": "garbage!!"})
    assert bad.status_code == 400
    assert "cursor" in bad.json()["detail"]


async def test_vote_events_move_the_count(client: httpx.AsyncClient, tokens: TokenFactory, emit):
    _, auth = tokens.user()
    post = (await client.post("/api/v1/posts", json={"title": "t", "content": "c"}, headers=auth)).json()
    voter = uuid.uuid4()
    await emit(VoteCast(post_id=post["id"], user_id=voter))

    async def count() -> int:
        return int((await client.get(f"/api/v1/posts/{post['id']}")).json()["vote_count"])

    await eventually(lambda: _equals(count, 1))
    await emit(VoteRetracted(post_id=post["id"], user_id=voter))
    await eventually(lambda: _equals(count, 0))


async def test_rename_event_shows_new_username(client: httpx.AsyncClient, tokens: TokenFactory, emit):
    user, auth = tokens.user("oldname")
    post = (await client.post("/api/v1/posts", json={"title": "t", "content": "c"}, headers=auth)).json()
    now = datetime.now(UTC)
    await emit(
        UserRegistered(user_id=user.user_id, username="oldname", email="o@example.com", updated_at=now)
    )
    later = now + timedelta(seconds=1)
    await emit(UserUpdated(user_id=user.user_id, username="newname", email="o@example.com", updated_at=later))

    async def username() -> str:
        return str((await client.get(f"/api/v1/posts/{post['id']}")).json()["author"]["username"])

    await eventually(lambda: _equals(username, "newname"))


async def _equals(read, expected) -> bool:
    return bool(await read() == expected)


async def test_a_new_post_and_its_event_are_one_statement_that_wakes_the_relay(
    app: Any, client: httpx.AsyncClient, tokens: TokenFactory, sql: Any
) -> None:
    """The create writes the post and its outbox row in one INSERT with CTEs; the outbox's statement
    trigger still fires for it, so the relay hears of the row at once instead of at its next poll."""
    _, auth = tokens.user("notified")
    woken = asyncio.Event()
    listener = await asyncpg.connect(asyncpg_dsn(state_of(app).db.url))
    try:
        await listener.add_listener(OUTBOX_CHANNEL, lambda *_: woken.set())
        created = await client.post("/api/v1/posts", json={"title": "Wake", "content": "up"}, headers=auth)
        assert created.status_code == 201, created.text
        await asyncio.wait_for(woken.wait(), timeout=5)
    finally:
        await listener.close()
    rows = await sql(
        "SELECT type FROM outbox WHERE envelope->'data'->>'post_id' = :id", id=created.json()["id"]
    )
    assert [r.type for r in rows] == ["posts.post.created"]

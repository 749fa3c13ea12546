"""Casting and taking back votes, as a client sees it."""

from __future__ import annotations

import uuid

import pytest

from common.recent_votes import TTL_SECONDS, RecentVote, read_recent_votes
from common.recent_votes import key as recent_votes_key
from votes_service.state import state_of

CAST = "SELECT count(*) FROM outbox WHERE type = 'votes.vote.cast' AND envelope->'data'->>'post_id' = :p"
RETRACTED = (
    "SELECT count(*) FROM outbox WHERE type = 'votes.vote.retracted' AND envelope->'data'->>'post_id' = :p"
)
COUNT = "SELECT count(*) FROM votes WHERE post_id = :p"


async def test_vote_retract_and_vote_again_counts_1_0_1(client, tokens, make_post, sql) -> None:
    post_id = await make_post()
    _, auth = tokens.user()

    first = await client.put(f"/api/v1/votes/{post_id}", headers=auth)
    assert first.status_code == 201
    assert first.json() == {"post_id": str(post_id), "voted": True, "changed": True}
    assert await sql(COUNT, p=post_id) == 1

    retracted = await client.delete(f"/api/v1/votes/{post_id}", headers=auth)
    assert retracted.status_code == 200
    assert retracted.json() == {"post_id": str(post_id), "voted": False, "changed": True}
    assert await sql(COUNT, p=post_id) == 0
    assert (await client.get(f"/api/v1/votes/{post_id}/me", headers=auth)).json()["voted"] is False

    again = await client.put(f"/api/v1/votes/{post_id}", headers=auth)
    assert again.status_code == 201
    assert await sql(COUNT, p=post_id) == 1
    assert (await client.get(f"/api/v1/votes/{post_id}/me", headers=auth)).json()["voted"] is True
    assert await sql(CAST, p=str(post_id)) == 2
    assert await sql(RETRACTED, p=str(post_id)) == 1


async def test_double_vote_stays_one_and_publishes_once(client, tokens, make_post, sql) -> None:
    post_id = await make_post()
    _, auth = tokens.user()
    assert (await client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 201
    second = await client.put(f"/api/v1/votes/{post_id}", headers=auth)
    assert second.status_code == 200
    assert second.json() == {"post_id": str(post_id), "voted": True, "changed": False}
    assert await sql(COUNT, p=post_id) == 1
    assert await sql(CAST, p=str(post_id)) == 1


async def test_retracting_a_vote_that_does_not_exist_changes_nothing(client, tokens, make_post, sql) -> None:
    post_id = await make_post()
    _, auth = tokens.user()
    response = await client.delete(f"/api/v1/votes/{post_id}", headers=auth)
    assert response.status_code == 200
    assert response.json() == {"post_id": str(post_id), "voted": False, "changed": False}
    assert await sql(RETRACTED, p=str(post_id)) == 0


async def test_a_post_that_does_not_exist_cannot_be_voted_on(client, tokens, sql) -> None:
    _, auth = tokens.user()
    post_id = uuid.uuid4()
    response = await client.put(f"/api/v1/votes/{post_id}", headers=auth)
    assert response.status_code == 404
    assert "Post not found" in response.json()["detail"]
    assert await sql(COUNT, p=post_id) == 0


async def test_a_malformed_post_id_is_a_clear_422(client, tokens) -> None:
    _, auth = tokens.user()
    response = await client.put("/api/v1/votes/not-a-uuid", headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "post_id"]


async def test_other_users_votes_are_their_own(client, tokens, make_post, sql) -> None:
    post_id = await make_post()
    _, alice = tokens.user()
    _, bob = tokens.user()
    assert (await client.put(f"/api/v1/votes/{post_id}", headers=alice)).status_code == 201

    assert (await client.get(f"/api/v1/votes/{post_id}/me", headers=bob)).json()["voted"] is False
    assert (await client.get("/api/v1/votes/me", headers=bob)).json()["items"] == []
    bobs_retract = await client.delete(f"/api/v1/votes/{post_id}", headers=bob)
    assert bobs_retract.json()["changed"] is False
    assert (await client.get(f"/api/v1/votes/{post_id}/me", headers=alice)).json()["voted"] is True
    assert await sql(COUNT, p=post_id) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/api/v1/votes/{post}"),
        ("DELETE", "/api/v1/votes/{post}"),
        ("GET", "/api/v1/votes/{post}/me"),
        ("GET", "/api/v1/votes/me"),
    ],
)
async def test_every_route_needs_a_valid_token(client, tokens, method, path) -> None:
    url = path.format(post=uuid.uuid4())
    user_id = uuid.uuid4()
    expired = tokens.sign(tokens.claims(user_id, "old", ttl=-60))
    foreign_audience = tokens.sign({**tokens.claims(user_id, "x"), "aud": "someone-else"})
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": f"Bearer {foreign_audience}"},
    ):
        response = await client.request(method, url, headers=headers)
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["detail"]


async def test_my_votes_are_paged_newest_first(client, tokens, make_post) -> None:
    _, auth = tokens.user()
    posts = [await make_post() for _ in range(5)]
    for post_id in posts:
        assert (await client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 201

    seen: list[str] = []
    cursor = None
    sizes = []
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/votes/me", params=params, headers=auth)).json()
        sizes.append(len(page["items"]))
        seen += [item["post_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sizes == [2, 2, 1]
    assert seen == [str(p) for p in reversed(posts)]


@pytest.mark.parametrize("limit", [0, 101, -1])
async def test_my_votes_page_size_is_capped_at_100(client, tokens, limit) -> None:
    _, auth = tokens.user()
    response = await client.get("/api/v1/votes/me", params={"limit": limit}, headers=auth)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "limit"]
    assert (await client.get("/api/v1/votes/me", params={"limit": 100}, headers=auth)).status_code == 200


@pytest.mark.parametrize("cursor", ["garbage!", "WzFd", "WyJ4IiwieSJd", "x" * 513])
async def test_a_cursor_we_did_not_issue_is_a_clear_4xx(client, tokens, cursor) -> None:
    _, auth = tokens.user()
    response = await client.get("/api/v1/votes/me", params={"cursor": cursor}, headers=auth)
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


async def test_a_vote_leaves_the_voters_new_count_for_their_next_read_of_posts(
    app, client, tokens, make_post
) -> None:
    """Right after the commit, before the answer: posts overlays it on the voter's reads at once
    (its own counts follow the events a moment later); a no-op changes nothing."""
    post_id = await make_post()
    user, auth = tokens.user()
    assert (await client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 201
    assert await read_recent_votes(state_of(app).redis, user.user_id) == {post_id: RecentVote(1, 1)}
    assert (await client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 200
    assert (await client.delete(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 200
    assert await read_recent_votes(state_of(app).redis, user.user_id) == {post_id: RecentVote(0, 2)}
    assert 0 < await state_of(app).redis.ttl(recent_votes_key(user.user_id)) <= TTL_SECONDS

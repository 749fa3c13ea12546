"""A post the read model does not know yet is checked with posts over HTTP (a real server here)."""

from __future__ import annotations

import uuid

COUNT = "SELECT count(*) FROM votes WHERE post_id = :p"


async def test_a_post_created_a_moment_ago_can_be_voted_on_at_once(client, tokens, posts_stub, sql) -> None:
    post_id = uuid.uuid4()
    posts_stub.visible.add(post_id)  # posts has it; its posts.post.created is still in flight
    _, alice = tokens.user()
    _, bob = tokens.user()

    assert (await client.put(f"/api/v1/votes/{post_id}", headers=alice)).status_code == 201
    assert posts_stub.asked == [post_id]
    # Remembered: the next vote is answered from the read model without asking posts again.
    assert (await client.put(f"/api/v1/votes/{post_id}", headers=bob)).status_code == 201
    assert posts_stub.asked == [post_id]
    assert await sql(COUNT, p=post_id) == 2


async def test_a_post_posts_does_not_know_is_a_404(client, tokens, posts_stub) -> None:
    _, auth = tokens.user()
    post_id = uuid.uuid4()
    response = await client.put(f"/api/v1/votes/{post_id}", headers=auth)
    assert response.status_code == 404
    assert posts_stub.asked == [post_id]


async def test_posts_unreachable_is_a_clear_503(client, tokens, posts_stub, make_post, sql) -> None:
    _, auth = tokens.user()
    known = await make_post()
    await posts_stub.stop()

    unknown = uuid.uuid4()
    response = await client.put(f"/api/v1/votes/{unknown}", headers=auth)
    assert response.status_code == 503
    assert "try again" in response.json()["detail"]
    assert await sql(COUNT, p=unknown) == 0
    # Posts the read model knows do not need posts at all.
    assert (await client.put(f"/api/v1/votes/{known}", headers=auth)).status_code == 201


async def test_posts_failing_or_hanging_is_a_503_not_a_500_or_a_hang(client, tokens, posts_stub) -> None:
    _, auth = tokens.user()
    broken, slow = uuid.uuid4(), uuid.uuid4()
    posts_stub.broken.add(broken)
    posts_stub.slow.add(slow)
    for post_id in (broken, slow):
        response = await client.put(f"/api/v1/votes/{post_id}", headers=auth)
        assert response.status_code == 503, response.text
        assert "posts service" in response.json()["detail"]

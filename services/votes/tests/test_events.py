"""What votes learns from events (the known-posts read model, deleted users) and what it publishes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from common.events.schemas import PostCreated, PostDeleted, PostRestored, PostUpdated, UserDeleted
from common_testing import eventually

COUNT = "SELECT count(*) FROM votes WHERE post_id = :p"
CAST = "SELECT count(*) FROM outbox WHERE type = 'votes.vote.cast' AND envelope->'data'->>'post_id' = :p"


async def test_fifty_users_voting_at_once_are_counted_exactly(client, tokens, make_post, sql) -> None:
    post_id = await make_post()
    users = [tokens.user()[1] for _ in range(50)]
    responses = await asyncio.gather(*(client.put(f"/api/v1/votes/{post_id}", headers=h) for h in users))
    assert [r.status_code for r in responses] == [201] * 50
    assert await sql(COUNT, p=post_id) == 50
    assert await sql(CAST, p=str(post_id)) == 50
    # ...and the relay ships every one of them to the broker.
    shipped = "SELECT count(*) = 0 FROM outbox WHERE type = 'votes.vote.cast' AND sent_at IS NULL"
    await eventually(lambda: sql(shipped))


async def test_same_user_voting_concurrently_counts_once(client, tokens, make_post, sql) -> None:
    post_id = await make_post()
    _, auth = tokens.user()
    url = f"/api/v1/votes/{post_id}"
    responses = await asyncio.gather(*(client.put(url, headers=auth) for _ in range(8)))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert await sql(COUNT, p=post_id) == 1
    assert await sql(CAST, p=str(post_id)) == 1


async def test_deleted_or_unpublished_posts_cannot_be_voted_on(client, tokens, make_post, emit, sql) -> None:
    _, auth = tokens.user()
    hidden, deleted = await make_post(), await make_post()
    author = uuid.uuid4()
    await emit(PostUpdated(post_id=hidden, author_id=author, title="t", published=False))
    await emit(PostDeleted(post_id=deleted, author_id=author))
    await eventually(lambda: sql("SELECT count(*) = 2 FROM known_posts WHERE NOT published"))

    for post_id in (hidden, deleted):
        response = await client.put(f"/api/v1/votes/{post_id}", headers=auth)
        assert response.status_code == 404
        assert "deleted" in response.json()["detail"]
    # A late update cannot bring a deleted post back.
    await emit(PostUpdated(post_id=deleted, author_id=author, title="t", published=True))
    await emit(PostUpdated(post_id=hidden, author_id=author, title="t", published=True))
    await eventually(lambda: sql("SELECT published FROM known_posts WHERE post_id = :p", p=hidden))
    assert (await client.put(f"/api/v1/votes/{deleted}", headers=auth)).status_code == 404
    assert (await client.put(f"/api/v1/votes/{hidden}", headers=auth)).status_code == 201


async def test_a_deleted_users_votes_are_removed_and_retracted(client, tokens, make_post, emit, sql) -> None:
    gone, gone_auth = tokens.user()
    _, stays = tokens.user()
    posts = [await make_post() for _ in range(3)]
    for post_id in posts:
        assert (await client.put(f"/api/v1/votes/{post_id}", headers=gone_auth)).status_code == 201
    assert (await client.put(f"/api/v1/votes/{posts[0]}", headers=stays)).status_code == 201

    await emit(UserDeleted(user_id=gone.user_id))

    retracted = (
        "SELECT count(*) FROM outbox WHERE type = 'votes.vote.retracted'"
        " AND envelope->'data'->>'user_id' = :u"
    )
    await eventually(lambda: sql("SELECT count(*) = 0 FROM votes WHERE user_id = :u", u=gone.user_id))
    assert await sql(retracted, u=str(gone.user_id)) == 3
    retracted_posts = await sql(
        "SELECT array_agg(envelope->'data'->>'post_id' ORDER BY id) FROM outbox"
        " WHERE type = 'votes.vote.retracted'"
    )
    assert sorted(retracted_posts) == sorted(str(p) for p in posts)
    assert [await sql(COUNT, p=p) for p in posts] == [1, 0, 0]
    assert (await client.get("/api/v1/votes/me", headers=gone_auth)).json()["items"] == []


async def test_events_apply_in_the_order_their_states_took_effect(client, tokens, emit, sql) -> None:
    """A late, older update (published) must not undo a newer one (unpublished)."""
    _, auth = tokens.user()
    post_id, author = uuid.uuid4(), uuid.uuid4()
    t0 = datetime.now(UTC)
    await emit(PostCreated(post_id=post_id, author_id=author, title="t", published=True, changed_at=t0))
    await emit(
        PostUpdated(
            post_id=post_id,
            author_id=author,
            title="t",
            published=False,
            changed_at=t0 + timedelta(seconds=2),
        )
    )
    await emit(
        PostUpdated(
            post_id=post_id, author_id=author, title="t", published=True, changed_at=t0 + timedelta(seconds=1)
        )
    )
    await eventually(lambda: sql("SELECT count(*) = 2 FROM inbox WHERE type = 'posts.post.updated'"))
    assert await sql("SELECT published FROM known_posts WHERE post_id = :p", p=post_id) is False
    assert (await client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 404


async def test_a_restored_post_can_be_voted_on_again(client, tokens, emit, sql) -> None:
    _, auth = tokens.user()
    post_id, author = uuid.uuid4(), uuid.uuid4()
    t0 = datetime.now(UTC)
    await emit(PostCreated(post_id=post_id, author_id=author, title="t", published=True, changed_at=t0))
    await emit(PostDeleted(post_id=post_id, author_id=author, changed_at=t0 + timedelta(seconds=1)))
    await eventually(lambda: sql("SELECT deleted FROM known_posts WHERE post_id = :p", p=post_id))
    assert (await client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 404

    restored = PostRestored(
        post_id=post_id, author_id=author, title="t", published=True, changed_at=t0 + timedelta(seconds=2)
    )
    await emit(restored)
    await eventually(lambda: sql("SELECT NOT deleted FROM known_posts WHERE post_id = :p", p=post_id))
    assert (await client.put(f"/api/v1/votes/{post_id}", headers=auth)).status_code == 201

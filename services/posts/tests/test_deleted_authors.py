"""A deleted author's posts are soft-deleted and each deletion is published, so votes stops taking votes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from common.events import Envelope
from common.events.schemas import PostDeleted, UserDeleted, UserUpdated
from common_testing import TokenFactory, eventually
from posts_service.posts import repository, service
from posts_service.state import state_of

POSTS = "/api/v1/posts"
DELETED_EVENTS = (
    "SELECT envelope FROM outbox WHERE type = 'posts.post.deleted'"
    " AND envelope->'data'->>'author_id' = :a ORDER BY id"
)


async def test_deleting_an_author_publishes_one_deletion_per_live_post(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit, sql
) -> None:
    user, alice = tokens.user()
    live = [(await new_post(alice))["id"] for _ in range(3)]
    draft = (await new_post(alice, published=False))["id"]
    earlier = (await new_post(alice))["id"]
    assert (await client.delete(f"{POSTS}/{earlier}", headers=alice)).status_code == 204
    other = (await new_post(tokens.user()[1]))["id"]
    assert (await client.get(f"{POSTS}/{live[0]}")).status_code == 200  # cached

    await emit(UserDeleted(user_id=user.user_id))
    await eventually(lambda: sql("SELECT 1 FROM inbox WHERE type = 'auth.user.deleted'"))

    envelopes = [Envelope.model_validate(row[0]) for row in await sql(DELETED_EVENTS, a=str(user.user_id))]
    deleted = [e.parse(PostDeleted) for e in envelopes]
    # the post deleted before got its event then; each of the others now gets exactly one
    assert sorted(str(d.post_id) for d in deleted) == sorted([earlier, *live, draft])
    assert all(d.changed_at is not None for d in deleted)
    for post_id in [*live, draft]:
        assert (await client.get(f"{POSTS}/{post_id}", headers=alice)).status_code == 404
    assert [p["id"] for p in (await client.get(POSTS)).json()["items"]] == [other]


async def test_an_author_with_many_posts_is_removed_in_bounded_chunks(
    app: FastAPI, client: httpx.AsyncClient, sql, monkeypatch: pytest.MonkeyPatch
) -> None:
    author = uuid.uuid4()
    await sql(
        "INSERT INTO posts (id, author_id, title, content)"
        " SELECT gen_random_uuid(), :a, 't', 'c' FROM generate_series(1, 2500)",
        a=author,
    )
    sizes: list[int] = []
    original = repository.soft_delete_author_posts

    async def recording(session, user_id, now, *, limit):
        ids = await original(session, user_id, now, limit=limit)
        sizes.append(len(ids))
        return ids

    monkeypatch.setattr(repository, "soft_delete_author_posts", recording)
    async with state_of(app).db.session() as session, session.begin():
        assert await service.remove_deleted_author(session, author, chunk_size=1000) == 2500
    assert sizes == [1000, 1000, 500]
    [[events]] = await sql("SELECT count(*) FROM outbox WHERE type = 'posts.post.deleted'")
    [[live]] = await sql("SELECT count(*) FROM posts WHERE deleted_at IS NULL")
    assert (events, live) == (2500, 0)
    async with state_of(app).db.engine.begin() as conn:
        distinct = "SELECT count(DISTINCT envelope->'data'->>'post_id') FROM outbox"
        assert (await conn.execute(text(distinct))).scalar_one() == 2500


async def test_deactivation_hides_the_authors_posts_and_reactivation_shows_them(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit, sql
) -> None:
    user, alice = tokens.user("dee")
    posts = [(await new_post(alice))["id"] for _ in range(2)]
    other = (await new_post(tokens.user()[1]))["id"]
    assert (await client.get(f"{POSTS}/{posts[0]}")).status_code == 200  # cached

    def updated(seconds: int, active: bool | None) -> UserUpdated:
        at = datetime.now(UTC) + timedelta(seconds=seconds)
        return UserUpdated(
            user_id=user.user_id, username="dee", email="d@example.com", updated_at=at, active=active
        )

    async def consumed(n: int) -> Any:
        [[applied]] = await sql("SELECT count(*) = :n FROM inbox WHERE type = 'auth.user.updated'", n=n)
        return applied

    async def status(post_id: str, expected: int) -> bool:
        """The cache is dropped just after the event's commit: wait for that too."""
        return (await client.get(f"{POSTS}/{post_id}")).status_code == expected

    await emit(updated(1, active=False))
    await eventually(lambda: consumed(1))
    for post_id in posts:
        await eventually(lambda: status(post_id, 404))  # noqa: B023
        assert (await client.get(f"/internal/posts/{post_id}")).status_code == 404  # votes' fallback too
    assert [p["id"] for p in (await client.get(POSTS)).json()["items"]] == [other]
    assert (await client.get(POSTS, params={"author": "dee"})).json()["items"] == []
    events = (
        "SELECT type, envelope->'data'->>'post_id' FROM outbox"
        " WHERE type IN ('posts.post.deleted', 'posts.post.restored') ORDER BY id"
    )
    assert sorted(await sql(events)) == sorted(("posts.post.deleted", p) for p in posts)

    await emit(updated(2, active=None))  # a version-1 update keeps the account hidden
    await eventually(lambda: consumed(2))
    assert (await client.get(f"{POSTS}/{posts[0]}")).status_code == 404
    assert len(await sql(events)) == 2

    _, admin = tokens.user(role="admin")
    deleted_by_admin = posts.pop()
    assert (await client.delete(f"{POSTS}/{deleted_by_admin}", headers=admin)).status_code == 204
    refused = await client.post(f"{POSTS}/{deleted_by_admin}/restore", headers=admin)
    assert refused.status_code == 409
    assert "deactivated" in refused.json()["detail"]

    await emit(updated(3, active=True))
    await eventually(lambda: consumed(3))
    await eventually(lambda: status(posts[0], 200))

    async def feed_has_two() -> bool:
        return len((await client.get(POSTS)).json()["items"]) == 2

    # the one an admin deleted stays deleted (others' changes reach the feed within its staleness bound)
    await eventually(feed_has_two, within=3)
    restored = [row for row in await sql(events) if row[0] == "posts.post.restored"]
    assert [r[1] for r in restored] == posts
    assert (await client.post(f"{POSTS}/{deleted_by_admin}/restore", headers=admin)).status_code == 200
    # a late, older deactivation changes nothing
    await emit(updated(1, active=False))
    await eventually(lambda: consumed(4))
    assert (await client.get(f"{POSTS}/{posts[0]}")).status_code == 200

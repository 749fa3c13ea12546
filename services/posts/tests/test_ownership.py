"""Who may see, change, delete and restore what; and the events each change publishes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from common.events.schemas import UserDeleted
from common_testing import TokenFactory, eventually

POSTS = "/api/v1/posts"


async def test_owner_replaces_and_patches(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user()
    post = await new_post(alice, title="Draft one", content="first", published=False)
    replaced = await client.put(
        f"{POSTS}/{post['id']}",
        json={"title": "Final", "content": "second", "published": True},
        headers=alice,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["title"] == "Final"
    assert replaced.json()["published"] is True
    assert replaced.json()["updated_at"] > post["updated_at"]
    patched = await client.patch(f"{POSTS}/{post['id']}", json={"content": "third"}, headers=alice)
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["content"]) == ("Final", "third")
    public = (await client.get(f"{POSTS}/{post['id']}")).json()
    assert (public["title"], public["content"], public["published"]) == ("Final", "third", True)


async def test_put_needs_every_field_and_never_creates(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user()
    post = await new_post(alice)
    partial = await client.put(f"{POSTS}/{post['id']}", json={"title": "only"}, headers=alice)
    assert partial.status_code == 422
    missing = await client.put(
        f"{POSTS}/{uuid.uuid4()}", json={"title": "t", "content": "c", "published": True}, headers=alice
    )
    assert missing.status_code == 404
    assert (await client.get(f"{POSTS}/{uuid.uuid4()}")).status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "at least one"),
        ({"title": None}, "cannot be null"),
        ({"title": "   "}, "at least 1 character"),
        ({"owner": "x"}, "Extra inputs"),
    ],
)
async def test_patch_refuses_what_it_cannot_apply(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post, body, message
):
    _, alice = tokens.user()
    post = await new_post(alice)
    response = await client.patch(f"{POSTS}/{post['id']}", json=body, headers=alice)
    assert response.status_code == 422
    assert message in str(response.json()["detail"])


async def test_others_get_403_on_change_and_delete(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user()
    _, bob = tokens.user()
    post = await new_post(alice)
    full = {"title": "mine now", "content": "c", "published": True}
    assert (await client.put(f"{POSTS}/{post['id']}", json=full, headers=bob)).status_code == 403
    patch = await client.patch(f"{POSTS}/{post['id']}", json={"title": "x"}, headers=bob)
    assert patch.status_code == 403
    assert "author" in patch.json()["detail"]
    assert (await client.delete(f"{POSTS}/{post['id']}", headers=bob)).status_code == 403
    assert (await client.get(f"{POSTS}/{post['id']}")).json()["title"] == post["title"]


async def test_others_get_404_for_a_draft_they_cannot_see(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user()
    _, bob = tokens.user()
    draft = await new_post(alice, published=False)
    url = f"{POSTS}/{draft['id']}"
    assert (await client.get(url, headers=bob)).status_code == 404
    assert (await client.patch(url, json={"title": "x"}, headers=bob)).status_code == 404
    assert (await client.delete(url, headers=bob)).status_code == 404
    assert (await client.get(f"{POSTS}/{draft['id']}/media", headers=bob)).status_code == 404
    assert (await client.get(f"/internal/posts/{draft['id']}")).status_code == 404


async def test_anonymous_callers_get_401_on_writes(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user()
    post = await new_post(alice)
    url = f"{POSTS}/{post['id']}"
    for response in (
        await client.put(url, json={"title": "t", "content": "c", "published": True}),
        await client.patch(url, json={"title": "t"}),
        await client.delete(url),
        await client.post(f"{url}/restore"),
        await client.get(f"{POSTS}/deleted"),
    ):
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


async def test_soft_delete_hides_the_post_from_every_read(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user("alice_reader")
    post = await new_post(alice, title="Vanishing act", content="unique words here")
    await client.get(f"{POSTS}/{post['id']}")  # cached for anonymous readers
    deleted = await client.delete(f"{POSTS}/{post['id']}", headers=alice)
    assert deleted.status_code == 204
    assert deleted.headers["cache-control"] == "no-store"
    assert (await client.get(f"{POSTS}/{post['id']}")).status_code == 404
    assert (await client.get(f"{POSTS}/{post['id']}", headers=alice)).status_code == 404
    assert (await client.get(f"/internal/posts/{post['id']}")).status_code == 404
    for params in ({}, {"q": "vanishing"}, {"author": "alice_reader"}, {"page": 1}):
        items = (await client.get(POSTS, params=params, headers=alice)).json()["items"]
        assert post["id"] not in [p["id"] for p in items], params
    assert (await client.delete(f"{POSTS}/{post['id']}", headers=alice)).status_code == 404
    patch = await client.patch(f"{POSTS}/{post['id']}", json={"title": "back"}, headers=alice)
    assert patch.status_code == 404


async def test_admin_deletes_any_post_lists_and_restores_it(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user("alice_admin_case")
    _, admin = tokens.user(role="admin")
    post = await new_post(alice, title="Moderated")
    assert (
        await client.patch(f"{POSTS}/{post['id']}", json={"title": "x"}, headers=admin)
    ).status_code == 403
    assert (await client.delete(f"{POSTS}/{post['id']}", headers=admin)).status_code == 204
    listing = await client.get(f"{POSTS}/deleted", headers=admin)
    assert listing.status_code == 200
    assert listing.headers["cache-control"] == "no-store"
    body = listing.json()
    assert (body["total"], body["has_more"]) == (1, False)
    [item] = body["items"]
    assert (item["id"], item["author"]["username"]) == (post["id"], "alice_admin_case")
    assert item["purge_after"] > item["deleted_at"]
    restored = await client.post(f"{POSTS}/{post['id']}/restore", headers=admin)
    assert restored.status_code == 200
    assert (await client.get(f"{POSTS}/{post['id']}")).json()["title"] == "Moderated"
    assert (await client.get(f"{POSTS}/deleted", headers=admin)).json()["total"] == 0
    again = await client.post(f"{POSTS}/{post['id']}/restore", headers=admin)
    assert again.status_code == 404


async def test_admin_deletes_a_draft_it_cannot_read(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user()
    _, admin = tokens.user(role="admin")
    draft = await new_post(alice, published=False)
    assert (await client.get(f"{POSTS}/{draft['id']}", headers=admin)).status_code == 404
    assert (await client.delete(f"{POSTS}/{draft['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"{POSTS}/{draft['id']}", headers=alice)).status_code == 404


async def test_admin_routes_refuse_plain_users(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user()
    post = await new_post(alice)
    await client.delete(f"{POSTS}/{post['id']}", headers=alice)
    assert (await client.get(f"{POSTS}/deleted", headers=alice)).status_code == 403
    assert (await client.post(f"{POSTS}/{post['id']}/restore", headers=alice)).status_code == 403


async def test_deleted_users_posts_go_and_stay_gone(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit, sql
):
    user, alice = tokens.user("leaving_user")
    _, admin = tokens.user(role="admin")
    post = await new_post(alice)
    await emit(UserDeleted(user_id=user.user_id))

    async def gone() -> bool:
        return (await client.get(f"{POSTS}/{post['id']}")).status_code == 404

    await eventually(gone)
    [item] = (await client.get(f"{POSTS}/deleted", headers=admin)).json()["items"]
    assert item["author"]["username"] == "[deleted]"
    restore = await client.post(f"{POSTS}/{post['id']}/restore", headers=admin)
    assert restore.status_code == 409
    assert "deleted" in restore.json()["detail"]
    refused = await client.post(POSTS, json={"title": "t", "content": "c"}, headers=alice)
    assert refused.status_code == 403
    # the refused create wrote neither a post nor its event (they are one statement)
    [posts] = await sql("SELECT count(*) AS n FROM posts WHERE author_id = :a", a=user.user_id)
    created = (
        "SELECT count(*) AS n FROM outbox"
        " WHERE type = 'posts.post.created' AND envelope->'data'->>'author_id' = :a"
    )
    [events] = await sql(created, a=str(user.user_id))
    assert (posts.n, events.n) == (1, 1)


async def test_each_change_publishes_its_event(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post, sql
):
    _, alice = tokens.user()
    _, admin = tokens.user(role="admin")
    post = await new_post(alice)
    await client.patch(f"{POSTS}/{post['id']}", json={"published": False}, headers=alice)
    await client.delete(f"{POSTS}/{post['id']}", headers=alice)
    await client.post(f"{POSTS}/{post['id']}/restore", headers=admin)
    rows = await sql(
        "SELECT type, envelope->'data' FROM outbox WHERE envelope->'data'->>'post_id' = :id ORDER BY id",
        id=post["id"],
    )
    assert [r[0] for r in rows] == [
        "posts.post.created",
        "posts.post.updated",
        "posts.post.deleted",
        "posts.post.restored",
    ]
    assert rows[1][1]["published"] is False

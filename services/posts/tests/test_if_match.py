"""Optimistic concurrency: ``If-Match`` with a post's ETag on PUT, PATCH and DELETE (412, 428)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from common.events.schemas import VoteCast
from common_testing import TokenFactory, eventually
from posts_service.state import state_of

POSTS = "/api/v1/posts"
NewPost = Callable[..., Awaitable[dict[str, Any]]]


async def _etag(client: httpx.AsyncClient, post_id: str, auth: dict[str, str]) -> str:
    response = await client.get(f"{POSTS}/{post_id}", headers=auth)
    assert response.status_code == 200
    return response.headers["etag"]


async def test_two_editors_one_wins_the_other_gets_412_and_nothing_is_lost(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post: NewPost
):
    _, alice = tokens.user()
    post = await new_post(alice, title="Plan", content="v1")
    read_by_tab_one = await _etag(client, post["id"], alice)
    read_by_tab_two = await _etag(client, post["id"], alice)

    first = await client.patch(
        f"{POSTS}/{post['id']}", json={"content": "tab one"}, headers={**alice, "If-Match": read_by_tab_one}
    )
    assert first.status_code == 200, first.text
    second = await client.patch(
        f"{POSTS}/{post['id']}", json={"content": "tab two"}, headers={**alice, "If-Match": read_by_tab_two}
    )
    assert second.status_code == 412, second.text
    assert second.headers["content-type"] == "application/problem+json"
    assert second.json()["type"].endswith("/precondition-failed")
    assert "read it again" in second.json()["detail"]
    assert (await client.get(f"{POSTS}/{post['id']}")).json()["content"] == "tab one"

    # The winner's answer carries the new tag: the loser re-reads, and its change then goes through.
    assert first.headers["etag"] == await _etag(client, post["id"], alice)
    retried = await client.put(
        f"{POSTS}/{post['id']}",
        json={"title": "Plan", "content": "tab two", "published": True},
        headers={**alice, "If-Match": first.headers["etag"]},
    )
    assert retried.status_code == 200, retried.text
    stale_delete = await client.delete(
        f"{POSTS}/{post['id']}", headers={**alice, "If-Match": first.headers["etag"]}
    )
    assert stale_delete.status_code == 412
    assert (await client.get(f"{POSTS}/{post['id']}")).json()["content"] == "tab two"
    deleted = await client.delete(
        f"{POSTS}/{post['id']}", headers={**alice, "If-Match": retried.headers["etag"]}
    )
    assert deleted.status_code == 204


async def test_a_vote_changes_the_body_tag_but_not_what_if_match_compares(
    client: httpx.AsyncClient,
    tokens: TokenFactory,
    new_post: NewPost,
    emit: Callable[..., Awaitable[None]],
):
    _, alice = tokens.user()
    post = await new_post(alice)
    before = await _etag(client, post["id"], alice)
    await emit(VoteCast(post_id=uuid.UUID(post["id"]), user_id=uuid.uuid4(), vote_count=1, seq=1))

    async def counted() -> bool:
        count: int = (await client.get(f"{POSTS}/{post['id']}", headers=alice)).json()["vote_count"]
        return count == 1

    await eventually(counted)
    after = await _etag(client, post["id"], alice)
    assert after != before  # a reader holding the old body revalidates and gets the new count
    revalidated = await client.get(f"{POSTS}/{post['id']}", headers={**alice, "If-None-Match": before})
    assert revalidated.status_code == 200
    edited = await client.patch(
        f"{POSTS}/{post['id']}", json={"title": "Edited"}, headers={**alice, "If-Match": before}
    )
    assert edited.status_code == 200, edited.text


async def test_if_match_star_and_malformed_tags(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post: NewPost
):
    _, alice = tokens.user()
    post = await new_post(alice)
    star = await client.patch(
        f"{POSTS}/{post['id']}", json={"title": "Any"}, headers={**alice, "If-Match": "*"}
    )
    assert star.status_code == 200
    missing = await client.patch(
        f"{POSTS}/{uuid.uuid4()}", json={"title": "x"}, headers={**alice, "If-Match": "*"}
    )
    assert missing.status_code == 404  # * needs the post to exist; the 404 comes first
    weak = await client.patch(
        f"{POSTS}/{post['id']}",
        json={"title": "x"},
        headers={**alice, "If-Match": f"W/{star.headers['etag']}"},
    )
    assert weak.status_code == 412  # If-Match compares strongly
    for bad in ("no-quotes", "", '"' + "a" * 3000 + '"'):
        refused = await client.patch(
            f"{POSTS}/{post['id']}", json={"title": "x"}, headers={**alice, "If-Match": bad}
        )
        assert refused.status_code == 400, bad
        assert "If-Match" in refused.json()["detail"]
    _, mallory = tokens.user()
    foreign = await client.patch(
        f"{POSTS}/{post['id']}", json={"title": "x"}, headers={**mallory, "If-Match": '"1"'}
    )
    assert foreign.status_code == 403  # not the author: 403, whatever the tag


async def test_a_deployment_can_require_if_match(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post: NewPost
):
    _, alice = tokens.user()
    post = await new_post(alice)
    settings = state_of(app).settings
    # Starlette's State keeps attributes in a dict of its own: set and put back by hand.
    state_of(app).settings = settings.model_copy(update={"require_if_match": True})
    try:
        for method in ("PUT", "PATCH", "DELETE"):
            body = {"title": "t", "content": "c", "published": True} if method != "DELETE" else None
            refused = await client.request(method, f"{POSTS}/{post['id']}", json=body, headers=alice)
            assert refused.status_code == 428, (method, refused.text)
            assert refused.json()["type"].endswith("/precondition-required")
        tag = await _etag(client, post["id"], alice)
        deleted = await client.delete(f"{POSTS}/{post['id']}", headers={**alice, "If-Match": tag})
        assert deleted.status_code == 204
    finally:
        state_of(app).settings = settings

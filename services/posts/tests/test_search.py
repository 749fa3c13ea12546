"""Listing: full-text search, the author filter and the sort orders."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from common.events.schemas import VoteCast
from common_testing import TokenFactory, eventually

POSTS = "/api/v1/posts"


async def _ids(client: httpx.AsyncClient, **params) -> list[str]:
    response = await client.get(POSTS, params=params)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["items"]]


async def test_search_finds_words_in_title_or_content(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user()
    in_title = await new_post(alice, title="Gardening tips", content="Water in the morning")
    in_content = await new_post(alice, title="My weekend", content="I spent it gardening happily")
    await new_post(alice, title="Cooking", content="Pasta recipes")
    found = await _ids(client, q="gardening")
    assert set(found) == {in_title["id"], in_content["id"]}
    assert await _ids(client, q="morning") == [in_title["id"]]
    assert await _ids(client, q="recipe") != []  # stemmed: "recipe" finds "recipes"


async def test_title_match_ranks_above_content_only_match(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user()
    content_only = await new_post(alice, title="A long day", content="We talked about volcanoes for hours")
    title_match = await new_post(alice, title="Volcanoes", content="Short note")
    newer_content_only = await new_post(alice, title="Another day", content="volcanoes again")
    found = await _ids(client, q="volcanoes")
    assert found[0] == title_match["id"]
    assert set(found[1:]) == {content_only["id"], newer_content_only["id"]}
    newest_first = await _ids(client, q="volcanoes", sort="new")
    assert newest_first == [newer_content_only["id"], title_match["id"], content_only["id"]]


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "'",
        "&|!:*()'",
        "a & b | !c",
        "foo:* & (bar",
        "-",
        "OR",
        '""',
        "\\",
        "%_",
        "ça va? 東京 🚀",
        "the",  # a stop word only: no lexemes at all
        " ",
        "",
    ],
)
async def test_odd_search_text_never_errors(client: httpx.AsyncClient, tokens: TokenFactory, new_post, query):
    _, alice = tokens.user()
    await new_post(alice, title="Plain title", content="plain content")
    response = await client.get(POSTS, params={"q": query})
    assert response.status_code == 200, response.text
    paged = await client.get(POSTS, params={"q": query, "page": 1})
    assert paged.status_code == 200


async def test_blank_search_lists_everything(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user()
    post = await new_post(alice)
    assert await _ids(client, q="   ") == [post["id"]]


async def test_unicode_words_are_found(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user()
    post = await new_post(alice, title="Crème brûlée", content="東京 の 夜")
    assert await _ids(client, q="brûlée") == [post["id"]]
    assert await _ids(client, q="crème") == [post["id"]]


async def test_web_search_syntax_works(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user()
    cats = await new_post(alice, title="Cats", content="small cats purr")
    dogs = await new_post(alice, title="Dogs", content="small dogs bark")
    assert set(await _ids(client, q="small")) == {cats["id"], dogs["id"]}
    assert await _ids(client, q="small -dogs") == [cats["id"]]
    assert set(await _ids(client, q="cats or dogs")) == {cats["id"], dogs["id"]}
    assert await _ids(client, q='"dogs bark"') == [dogs["id"]]


async def test_search_text_is_capped(client: httpx.AsyncClient):
    assert (await client.get(POSTS, params={"q": "x" * 200})).status_code == 200
    too_long = await client.get(POSTS, params={"q": "x" * 201})
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["loc"] == ["query", "q"]


async def test_author_filter_shows_one_users_posts(client: httpx.AsyncClient, tokens: TokenFactory, new_post):
    _, alice = tokens.user("Alice_W")
    _, bob = tokens.user("bob_b")
    mine = [await new_post(alice) for _ in range(2)]
    await new_post(bob)
    draft = await new_post(alice, published=False)
    assert await _ids(client, author="alice_w") == [mine[1]["id"], mine[0]["id"]]
    own = [
        p["id"]
        for p in (await client.get(POSTS, params={"author": "Alice_W"}, headers=alice)).json()["items"]
    ]
    assert own == [draft["id"], mine[1]["id"], mine[0]["id"]]
    assert await _ids(client, author="nobody_here") == []
    assert (await client.get(POSTS, params={"author": "[deleted]"})).status_code == 422


async def test_sort_by_votes(client: httpx.AsyncClient, tokens: TokenFactory, new_post, emit):
    _, alice = tokens.user()
    low, high, none = [await new_post(alice) for _ in range(3)]
    for post, votes in ((high, 2), (low, 1)):
        for _ in range(votes):
            await emit(VoteCast(post_id=post["id"], user_id=uuid.uuid4()))

    async def top() -> list[str]:
        return await _ids(client, sort="top")

    await eventually(lambda: _equals(top, [high["id"], low["id"], none["id"]]))
    cursor_page = (await client.get(POSTS, params={"sort": "top", "limit": 1})).json()
    second = await client.get(POSTS, params={"sort": "top", "limit": 2, "cursor": cursor_page["next_cursor"]})
    assert [p["id"] for p in second.json()["items"]] == [low["id"], none["id"]]


async def test_relevance_needs_a_search_and_cursors_keep_their_sort(client: httpx.AsyncClient):
    no_q = await client.get(POSTS, params={"sort": "relevance"})
    assert no_q.status_code == 400
    assert "q" in no_q.json()["detail"]
    assert (await client.get(POSTS, params={"sort": "sideways"})).status_code == 422


async def test_relevance_cursor_walks_every_match_once(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user()
    posts = [
        await new_post(alice, title="comet" if i % 2 else "note", content="comet sighting") for i in range(7)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "comet", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(POSTS, params=params)).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(p["id"] for p in posts)
    title_matches = {p["id"] for p in posts if p["title"] == "comet"}
    assert set(seen[: len(title_matches)]) == title_matches


async def _equals(read, expected) -> bool:
    return bool(await read() == expected)


async def test_nul_characters_are_refused_not_a_server_error(client: httpx.AsyncClient, tokens: TokenFactory):
    _, alice = tokens.user()
    assert (await client.get(POSTS, params={"q": "a\x00b"})).status_code == 422
    for body in ({"title": "a\x00b", "content": "c"}, {"title": "t", "content": "a\x00b"}):
        response = await client.post(POSTS, json=body, headers=alice)
        assert response.status_code == 422

"""Pagination: the keyset feed under concurrent writes, page/size with totals, and every cap."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI

from common.pagination import encode_cursor
from common_testing import TokenFactory
from posts_service.state import state_of

POSTS = "/api/v1/posts"

#: 1,000 posts in one statement; a tenth share a timestamp, so the id must break ties.
BULK_INSERT = """
INSERT INTO posts (id, author_id, title, content, published, created_at, updated_at)
SELECT gen_random_uuid(), :author, 'bulk ' || i, 'bulk content ' || i, true,
       now() - interval '1 hour' - (CASE WHEN i % 10 = 0 THEN 0 ELSE i END) * interval '1 second',
       now()
FROM generate_series(1, :count) AS i
RETURNING id
"""
NEW_POSTS = """
INSERT INTO posts (id, author_id, title, content, published)
SELECT gen_random_uuid(), :author, 'late', 'arrived while paging', true FROM generate_series(1, 7)
"""


async def test_cursor_walk_returns_each_post_once_while_posts_arrive(client: httpx.AsyncClient, sql):
    author = uuid.uuid4()
    original = {str(r[0]) for r in await sql(BULK_INSERT, author=author, count=1000)}
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await client.get(POSTS, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [p["id"] for p in page["items"]]
        await sql(NEW_POSTS, author=author)  # newer than everything already served
        cursor = page["next_cursor"]
        assert page["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 1000
    assert set(seen) == original


async def test_page_mode_reports_total_and_has_more(client: httpx.AsyncClient, sql):
    await sql(BULK_INSERT, author=uuid.uuid4(), count=45)
    first = (await client.get(POSTS, params={"page": 1, "size": 20})).json()
    assert (first["total"], first["page"], first["size"], first["has_more"]) == (45, 1, 20, True)
    assert first["total_is_estimate"] is False
    assert len(first["items"]) == 20
    last = (await client.get(POSTS, params={"page": 3, "size": 20})).json()
    assert (len(last["items"]), last["has_more"], last["next_cursor"]) == (5, False, None)
    beyond = (await client.get(POSTS, params={"page": 4, "size": 20})).json()
    assert (beyond["items"], beyond["total"], beyond["has_more"]) == ([], 45, False)
    pages = [
        p["id"]
        for n in (1, 2, 3)
        for p in (await client.get(POSTS, params={"page": n, "size": 20})).json()["items"]
    ]
    assert len(set(pages)) == 45


async def test_page_totals_are_counted_up_to_the_limit_then_estimated(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, sql
):
    """No request counts every row: past ``FEED_EXACT_COUNT_LIMIT`` the total is the planner's
    estimate, said so in ``total_is_estimate``, never below what the page shows exists;
    ``has_more`` stays exact."""
    await sql(BULK_INSERT, author=uuid.uuid4(), count=45)
    await sql("ANALYZE posts")
    settings = state_of(app).settings
    try:
        state_of(app).settings = settings.model_copy(update={"feed_exact_count_limit": 10})
        first = (await client.get(POSTS, params={"page": 1, "size": 20})).json()
        assert (first["total_is_estimate"], first["has_more"], len(first["items"])) == (True, True, 20)
        assert first["total"] >= 21
        last = (await client.get(POSTS, params={"page": 5, "size": 10})).json()
        assert (last["total_is_estimate"], last["has_more"], len(last["items"])) == (True, False, 5)
        assert last["total"] >= 45
        searched = await client.get(POSTS, params={"page": 1, "q": "bulk", "author": "nobody_x"})
        assert searched.json()["total"] == 0  # nothing matches: counted, not estimated
        mine = (await client.get(POSTS, params={"page": 2, "q": "bulk"}, headers=tokens.user()[1])).json()
        assert (mine["total_is_estimate"], len(mine["items"])) == (True, 20)
        assert mine["total"] >= 41
        state_of(app).settings = settings.model_copy(update={"feed_exact_count_limit": 45})
        exact = (await client.get(POSTS, params={"page": 2, "size": 15})).json()
        assert (exact["total"], exact["total_is_estimate"], exact["has_more"]) == (45, False, True)
    finally:
        state_of(app).settings = settings
    assert (await client.get(POSTS)).json()["total_is_estimate"] is None  # cursor mode: no total


async def test_page_size_defaults_and_limit_works_as_size(client: httpx.AsyncClient, sql):
    await sql(BULK_INSERT, author=uuid.uuid4(), count=25)
    default = (await client.get(POSTS, params={"page": 2})).json()
    assert (default["size"], len(default["items"])) == (20, 5)
    assert (await client.get(POSTS, params={"page": 1, "limit": 7})).json()["size"] == 7
    cursor_mode = (await client.get(POSTS)).json()
    assert (len(cursor_mode["items"]), cursor_mode["has_more"], cursor_mode["total"]) == (20, True, None)


async def test_the_hundred_cap_is_enforced(client: httpx.AsyncClient, sql):
    await sql(BULK_INSERT, author=uuid.uuid4(), count=120)
    assert len((await client.get(POSTS, params={"limit": 100})).json()["items"]) == 100
    assert len((await client.get(POSTS, params={"page": 1, "size": 100})).json()["items"]) == 100
    for params in ({"limit": 101}, {"size": 101}, {"page": 1, "size": 1000}):
        response = await client.get(POSTS, params=params)
        assert response.status_code == 422, params
        assert "less than or equal to 100" in response.json()["errors"][0]["msg"]


@pytest.mark.parametrize(
    "params",
    [{"page": 0}, {"page": -1}, {"page": 1001}, {"size": 0}, {"limit": 0}, {"page": "two"}],
)
async def test_bad_page_numbers_are_422(client: httpx.AsyncClient, params):
    assert (await client.get(POSTS, params=params)).status_code == 422


async def test_mixing_modes_or_forging_cursors_is_a_clear_400(
    client: httpx.AsyncClient, tokens: TokenFactory, new_post
):
    _, alice = tokens.user()
    for _ in range(3):
        await new_post(alice)
    cursor = (await client.get(POSTS, params={"limit": 1})).json()["next_cursor"]
    both = await client.get(POSTS, params={"cursor": cursor, "page": 2})
    assert both.status_code == 400
    assert "either cursor" in both.json()["detail"]
    other_sort = await client.get(POSTS, params={"cursor": cursor, "sort": "top"})
    assert other_sort.status_code == 400
    top = {"sort": "top"}
    for forged, params in (
        (encode_cursor(["new", "yesterday", str(uuid.uuid4())]), {}),
        (encode_cursor(["new", "2026-01-01T00:00:00", str(uuid.uuid4())]), {}),  # no time zone
        (encode_cursor(["top", "many", "2026-01-01T00:00:00+00:00", str(uuid.uuid4())]), top),
        (encode_cursor(["top", True, "2026-01-01T00:00:00+00:00", str(uuid.uuid4())]), top),
        (encode_cursor(["new", "2026-01-01T00:00:00+00:00", "not-a-uuid"]), {}),
        (encode_cursor(["new", None, None]), {}),
        ("x" * 513, {}),
    ):
        response = await client.get(POSTS, params={"cursor": forged, **params})
        assert response.status_code in (400, 422), forged
        assert "cursor" in str(response.json()["detail"])


#: Every post after the first 999 pages of 3, in each sort's order.
IN_ORDER = {
    "new": "SELECT id FROM posts ORDER BY created_at DESC, id DESC OFFSET 2997",
    "top": "SELECT id FROM posts ORDER BY vote_count DESC, created_at DESC, id DESC OFFSET 2997",
}


@pytest.mark.parametrize("sort", ["new", "top"])
async def test_the_last_page_number_hands_over_to_cursor_mode(client: httpx.AsyncClient, sql, sort: str):
    """``page=1000&size=3`` with more behind it: ``has_more`` comes with a cursor that goes on."""
    await sql(BULK_INSERT, author=uuid.uuid4(), count=3010)
    await sql("UPDATE posts SET vote_count = (random() * 5)::int")
    cap = (await client.get(POSTS, params={"page": 1000, "size": 3, "sort": sort})).json()
    assert (cap["has_more"], cap["total"], len(cap["items"])) == (True, 3010, 3)
    assert cap["next_cursor"]
    before = (await client.get(POSTS, params={"page": 999, "size": 3, "sort": sort})).json()
    assert before["next_cursor"] is None
    assert (await client.get(POSTS, params={"page": 1001, "size": 3})).status_code == 422

    rest: list[str] = []
    cursor = cap["next_cursor"]
    while cursor:
        page = (await client.get(POSTS, params={"cursor": cursor, "limit": 3, "sort": sort})).json()
        rest += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
    # cursor mode takes up exactly after page 1000: the remaining 10, in order, none repeated
    expected = [str(r[0]) for r in await sql(IN_ORDER[sort])]
    assert [p["id"] for p in cap["items"]] + rest == expected


async def test_the_last_page_says_nothing_follows_when_nothing_does(client: httpx.AsyncClient, sql):
    await sql(BULK_INSERT, author=uuid.uuid4(), count=3000)
    cap = (await client.get(POSTS, params={"page": 1000, "size": 3})).json()
    assert (cap["has_more"], cap["next_cursor"], len(cap["items"])) == (False, None, 3)

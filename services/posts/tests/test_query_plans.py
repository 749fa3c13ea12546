"""Every listing and search query has an index that serves it: none scans ``posts`` or ``authors``.

The statements are the real ones SQLAlchemy sends (captured on the engine while the routes and the
repository run), explained with their own parameters and ``enable_seqscan`` off. Failing plans:

* a sequential scan that remains (no index can serve the query at all);
* an index scan with no condition, on an index that is not partial, that does not give the query's
  order either: a whole index walked instead of the table, which costs as much.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import event

from common_testing import TokenFactory
from posts_service.posts import repository
from posts_service.posts.cache import ResponseCache
from posts_service.posts.schemas import Sort
from posts_service.state import state_of

POSTS = "/api/v1/posts"
BULK = """
WITH people AS (
    INSERT INTO authors (user_id, username, updated_at)
    SELECT gen_random_uuid(), 'bulk_' || i, now() FROM generate_series(1, 2000) AS i
    RETURNING user_id
), numbered AS (SELECT user_id, row_number() OVER () AS n FROM people)
INSERT INTO posts (id, author_id, title, content, published, created_at)
SELECT gen_random_uuid(), numbered.user_id, 'bulk ' || i, 'bulk content', i % 20 <> 0,
       now() - i * interval '1 minute'
FROM generate_series(1, 20000) AS i JOIN numbered ON numbered.n = 1 + i % 2000
"""
_TABLES = re.compile(r"\b(FROM|JOIN)\s+(posts|authors)\b", re.IGNORECASE)
#: The routes' reads, each for an anonymous and a signed-in reader (with drafts: their own page).
_READS: list[dict[str, Any]] = [
    {},
    {"sort": "top"},
    {"q": "searchable"},
    {"q": "searchable", "sort": "new"},
    {"author": "plans_author"},
    {"page": 2, "size": 5},
    {"page": 2, "size": 5, "sort": "top"},
    {"page": 1, "size": 5, "q": "searchable"},
]


@contextmanager
def _captured(app: FastAPI) -> Iterator[list[tuple[str, Any]]]:
    statements: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        text = statement.lstrip()
        if text[:6].upper() == "SELECT" and _TABLES.search(text) and not many:
            statements.append((statement, parameters))

    engine = state_of(app).db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _table_scans(plan: dict[str, Any], statement: str, partial: set[str]) -> list[str]:
    """What in the plan reads posts or authors without an index serving it."""
    nodes = list(_nodes(plan))
    ordered_by_index = "ORDER BY" in statement and not any(n["Node Type"] == "Sort" for n in nodes)
    found = []
    for node in nodes:
        if node.get("Relation Name") not in ("posts", "authors"):
            continue
        if node["Node Type"] == "Seq Scan":
            found.append(f"Seq Scan on {node['Relation Name']}")
        elif node["Node Type"] in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
            serves = node["Index Name"] in partial or ordered_by_index
            found += [] if serves else [f"whole index {node['Index Name']}"]
    return found


#: Queries the 20261207 migration's indexes were made for: a marker of the statement, the index.
_MADE_FOR = {
    "posts.published IS false": "ix_posts_drafts",
    "ORDER BY posts.deleted_at DESC": "ix_posts_deleted",
}


async def _plan_scans(app: FastAPI, statement: str, parameters: Any, partial: set[str]) -> list[str]:
    async with state_of(app).db.engine.connect() as conn, conn.begin():
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        result = await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan = result.scalar_one()[0]["Plan"]
    found = _table_scans(plan, statement, partial)
    used = {node.get("Index Name") for node in _nodes(plan)}
    for marker, index in _MADE_FOR.items():
        if marker in statement and index not in used:
            found.append(f"not served by {index} (used: {sorted(str(u) for u in used if u)})")
    return found


async def test_no_listing_or_search_query_scans_a_table(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post, sql
) -> None:
    author, auth = tokens.user("plans_author")
    _, admin = tokens.user(role="admin")
    for i in range(12):
        await new_post(auth, title=f"searchable {i}", published=i % 4 != 0)
    gone = await new_post(auth, title="deleted one")
    await client.delete(f"{POSTS}/{gone['id']}", headers=auth)
    await sql("INSERT INTO authors (user_id, username, active) VALUES (gen_random_uuid(), 'away', false)")
    await sql(BULK)  # tables of a realistic shape: the planner chooses as it would in production
    await sql("ANALYZE posts")
    await sql("ANALYZE authors")
    cache: ResponseCache = state_of(app).cache
    with _captured(app) as statements:
        for params in _READS:
            for headers in ({}, auth, {**auth, "X-Plan": "author-id"}):
                await cache.redis.flushdb()  # every read goes to the database
                query = {**params, "author": str(author.user_id)} if "X-Plan" in headers else params
                response = await client.get(POSTS, params=query, headers=headers)
                assert response.status_code == 200, (params, response.text)
        cursor = (await client.get(POSTS, params={"limit": 2}, headers=auth)).json()["next_cursor"]
        assert (await client.get(POSTS, params={"limit": 2, "cursor": cursor})).status_code == 200
        await cache.redis.flushdb()
        assert (await client.get(f"{POSTS}/{gone['id']}")).status_code == 404
        assert (await client.get(f"{POSTS}/deleted", headers=admin)).json()["total"] == 1
        async with state_of(app).db.session() as session:
            await repository.author_live_posts(session, author.user_id, after=None, limit=10)
            await repository.author_post_ids(session, author.user_id)
            await repository.claim_expired(session, datetime.now(UTC), 10)
            await repository.vote_counts_after(session, uuid.uuid4(), 10)
            await repository.list_feed_keyset(
                session, repository.FeedFilter(viewer_id=author.user_id), Sort.TOP, after=None, limit=5
            )
            await session.rollback()
    seen = {statement for statement, _ in statements}
    assert any("count(" in s for s in seen), "page mode's count was not captured"
    assert any("lower(authors.username)" in s for s in seen), "the author filter by name was not captured"
    assert any("published IS false" in s for s in seen), "the drafts check was not captured"
    indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('posts', 'authors')"
    partial = {name for name, definition in await sql(indexes) if " WHERE " in definition}
    scanned = {}
    for statement, parameters in statements:
        scans = await _plan_scans(app, statement, parameters, partial)
        if scans:
            scanned[statement] = scans
    assert not scanned, "sequential scans remain:\n" + "\n\n".join(f"{v}: {k}" for k, v in scanned.items())

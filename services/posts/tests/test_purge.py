"""Retention: deleted posts are kept (restorable) for POST_RETENTION_DAYS, then purged with their media."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from common.db import utcnow
from common_testing import TokenFactory
from posts_service.state import state_of

POSTS = "/api/v1/posts"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


async def test_purge_removes_only_posts_past_retention(
    app, client: httpx.AsyncClient, tokens: TokenFactory, new_post, sql, media_dir: Path
):
    _, alice = tokens.user()
    _, admin = tokens.user(role="admin")
    old, recent, live = [await new_post(alice) for _ in range(3)]
    upload = await client.post(
        f"{POSTS}/{old['id']}/media", files={"file": ("a.png", PNG, "image/png")}, headers=alice
    )
    assert upload.status_code == 202
    for post in (old, recent):
        assert (await client.delete(f"{POSTS}/{post['id']}", headers=alice)).status_code == 204
    await sql("UPDATE posts SET deleted_at = now() - interval '31 days' WHERE id = :id", id=old["id"])
    await sql("UPDATE posts SET deleted_at = now() - interval '29 days' WHERE id = :id", id=recent["id"])
    assert _files(media_dir) != []

    assert await state_of(app).purger.purge_once() == 1

    deleted = (await client.get(f"{POSTS}/deleted", headers=admin)).json()
    assert [p["id"] for p in deleted["items"]] == [recent["id"]]
    assert (await client.post(f"{POSTS}/{old['id']}/restore", headers=admin)).status_code == 404
    assert await sql("SELECT id FROM media") == []
    assert _files(media_dir) == []
    assert (await client.get(f"{POSTS}/{live['id']}")).status_code == 200
    assert await state_of(app).purger.purge_once() == 0


async def test_purge_works_in_batches(app, client: httpx.AsyncClient, tokens: TokenFactory, new_post, sql):
    _, alice = tokens.user()
    for _ in range(5):
        post = await new_post(alice)
        await client.delete(f"{POSTS}/{post['id']}", headers=alice)
    purger = state_of(app).purger
    purger.batch_size = 2
    try:
        assert await purger.purge_once(now=utcnow() + timedelta(days=31)) == 5
    finally:
        purger.batch_size = 500
    assert await sql("SELECT id FROM posts") == []

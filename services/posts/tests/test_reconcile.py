"""``python -m posts_service.cli reconcile``: counts that drifted are set to votes' truth, and reported."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from common_testing import TokenFactory, eventually
from posts_service.posts.reconcile import VoteCountReconciler
from posts_service.state import state_of

POSTS = "/api/v1/posts"


class VotesStub:
    """Answers ``POST /internal/votes/tallies`` like votes, from ``truth`` (post id -> (count, seq))."""

    def __init__(self) -> None:
        self.truth: dict[uuid.UUID, tuple[int, int]] = {}
        self.asked: list[int] = []

    async def tallies(self, request: Request) -> JSONResponse:
        ids = [uuid.UUID(p) for p in (await request.json())["post_ids"]]
        self.asked.append(len(ids))
        rows = [
            {
                "post_id": str(p),
                "vote_count": self.truth.get(p, (0, 0))[0],
                "seq": self.truth.get(p, (0, 0))[1],
            }
            for p in ids
        ]
        return JSONResponse({"tallies": rows})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/internal/votes/tallies", self.tallies, methods=["POST"])])


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        return server.started

    await eventually(started, interval=0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task


async def _counts(app: FastAPI, *post_ids: str) -> list[tuple[int, int]]:
    async with state_of(app).db.engine.begin() as conn:
        rows = await conn.execute(
            text("SELECT id, vote_count, vote_seq FROM posts WHERE id = ANY(CAST(:ids AS uuid[]))"),
            {"ids": list(post_ids)},
        )
        found = {str(r[0]): (r[1], r[2]) for r in rows}
    return [found[p] for p in post_ids]


async def _drift(app: FastAPI, post_id: str, count: int, seq: int) -> None:
    async with state_of(app).db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE posts SET vote_count = :c, vote_seq = :s WHERE id = :id"),
            {"c": count, "s": seq, "id": post_id},
        )


async def test_reconcile_repairs_drift_in_batches_and_reports_it(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post
) -> None:
    _, alice = tokens.user()
    posts = [(await new_post(alice))["id"] for _ in range(5)]
    high, low, right, racing, never = posts
    stub = VotesStub()
    stub.truth = {
        uuid.UUID(high): (2, 7),  # a retraction applied before its cast left it too high
        uuid.UUID(low): (3, 3),
        uuid.UUID(right): (1, 1),
        uuid.UUID(racing): (4, 5),  # by the time of the repair, seq 6 was applied: leave it
    }
    await _drift(app, high, 3, 0)
    await _drift(app, low, 0, 0)
    await _drift(app, right, 1, 1)
    await _drift(app, racing, 9, 6)
    await _drift(app, never, 1, 0)  # nobody ever voted: votes says (0, 0)
    assert (await client.get(f"{POSTS}/{high}")).json()["vote_count"] == 3  # now cached

    votes = httpx.AsyncClient(transport=httpx.ASGITransport(stub.app()), base_url="http://votes")
    async with votes:
        reconciler = VoteCountReconciler(state_of(app).db, votes, cache=state_of(app).cache, batch_size=2)
        dry = await reconciler.run(dry_run=True)
        assert await _counts(app, high) == [(3, 0)]  # a dry run changes nothing
        report = await reconciler.run()

    assert stub.asked == [2, 2, 1, 2, 2, 1]  # 5 posts in batches of 2, twice
    assert report.checked == dry.checked == 5
    assert {(str(r.post_id), r.was, r.now) for r in report.repaired} == {
        (high, 3, 2),
        (low, 0, 3),
        (never, 1, 0),
    }
    assert report.skipped == 1
    assert await _counts(app, high, low, right, racing, never) == [(2, 7), (3, 3), (1, 1), (9, 6), (0, 0)]
    assert (await client.get(f"{POSTS}/{high}")).json()["vote_count"] == 2  # the cache was dropped


@pytest.mark.parametrize("dry_run", [False, True])
async def test_the_command_runs_as_documented(
    app: FastAPI, client: httpx.AsyncClient, tokens: TokenFactory, new_post, dry_run: bool
) -> None:
    _, alice = tokens.user()
    post = (await new_post(alice))["id"]
    await _drift(app, post, 5, 0)
    stub = VotesStub()
    stub.truth = {uuid.UUID(post): (1, 4)}
    settings = state_of(app).settings
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "ENVIRONMENT": "test",
    }
    async with serving(stub.app()) as votes_url:
        argv = [
            "-m",
            "posts_service.cli",
            "reconcile",
            "--votes-url",
            votes_url,
            *(["--dry-run"] if dry_run else []),
        ]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    report = json.loads(out)
    assert report["checked"] == 1
    assert report["repaired_count"] == 1
    assert report["repaired"][0] == {"post_id": post, "was": 5, "now": 1, "seq": 4}
    assert await _counts(app, post) == [(5, 0) if dry_run else (1, 4)]


async def test_the_command_says_so_when_votes_cannot_be_asked(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    settings = state_of(app).settings
    env = {**os.environ, "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url}
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with state_of(app).db.engine.begin() as conn:  # one post, so votes is asked
        await conn.execute(
            text("INSERT INTO posts (id, author_id, title, content) VALUES (:id, :a, 't', 'c')"),
            {"id": uuid.uuid4(), "a": uuid.uuid4()},
        )
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "posts_service.cli",
        "reconcile",
        "--votes-url",
        f"http://127.0.0.1:{port}",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 2
    assert "could not ask votes" in json.loads(err.decode().strip().splitlines()[-1])["error"]

"""The scale run's bulk seeding (``scale.py``): what it writes in each database must agree, as events would.

No stack: the bench databases are migrated to head (the services' own migrations, triggers included),
the fast path grows them in two steps, and the same checks the bench relies on are asserted — the
drain check (outbox empty, votes knows every post, the vote sums equal), posts' counts against
votes' tallies post by post, and the ids the bench computes for its single-post reads.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from bench.mixed import vote_drift
from bench.scale import SEARCH_WORD, TITLE_WORDS, BulkSeeder
from bench.seed import BenchUser, pipeline_state
from bench.stackctl import BENCH_DB_SUFFIX, Target
from common.db import asyncpg_dsn
from common.dbtools import drop_database, ensure_database
from deploy.native import stack as native

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "posts", "votes")
USERS = [BenchUser(f"scale_user_{i}", str(uuid.uuid4()), token="") for i in range(3)]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _target(db_suffix: str = BENCH_DB_SUFFIX) -> Target:
    pg_base = str(native.StackConfig().pg_base)
    return Target("", {}, pg_base, db_suffix, workers=None, managed=False)


@pytest.fixture
async def bench_databases() -> AsyncIterator[Target]:
    """The bench's auth, posts and votes databases, empty and migrated (the bench suite's own row)."""
    target = _target()
    for name in SERVICES:
        await drop_database(target.database_url(name))
        await ensure_database(target.database_url(name))
    migrations = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head"),
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": target.database_url(name)},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for name in SERVICES
    ]
    for proc in migrations:
        output, _ = await asyncio.wait_for(proc.communicate(), timeout=240)
        assert proc.returncode == 0, output.decode()
    yield target
    for name in SERVICES:
        await drop_database(target.database_url(name))


async def _fetch(target: Target, service: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(target.database_url(service)))
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_bulk_seeding_grows_posts_votes_and_read_models_that_agree(bench_databases: Target) -> None:
    target = bench_databases
    seeder = BulkSeeder(target, USERS, existing=0)

    first = await seeder.grow(400, progress=lambda _: None)
    second = await seeder.grow(1_200, progress=lambda _: None)

    assert (first["added"], second["added"]) == (400, 800)
    state = await pipeline_state(target)
    assert state.drained, state
    assert (state.posts, state.known_posts) == (1_200, 1_200)
    # Post n has n % 3 votes: 400 in every 1,200.
    assert state.votes == 1_200
    drift = await vote_drift(target)
    assert drift["posts_differing"] == 0, drift
    assert drift["sum_difference"] == 0, drift

    # Each post's vote_seq is the seq of votes' tally of it, so the next vote event (seq 2) applies.
    seqs = {r["id"]: r["vote_seq"] for r in await _fetch(target, "posts", "SELECT id, vote_seq FROM posts")}
    tallies = await _fetch(target, "votes", "SELECT post_id, seq FROM vote_tallies")
    assert {r["post_id"]: r["seq"] for r in tallies} == {pid: s for pid, s in seqs.items() if s}

    # The ids the bench computes for its reads are the rows' ids, in both databases.
    sample = set(seeder.ids(50))
    assert sample <= set(seqs)
    known = {r["post_id"] for r in await _fetch(target, "votes", "SELECT post_id FROM known_posts")}
    assert sample <= known

    # Every author is known to posts, and the search word is in 1 title in 20 (never in a content).
    authors = await _fetch(target, "posts", "SELECT user_id FROM authors")
    assert {str(r["user_id"]) for r in authors} == {u.user_id for u in USERS}
    matches = await _fetch(
        target,
        "posts",
        "SELECT count(*) AS n FROM posts WHERE search_vector @@ to_tsquery('english', $1)",
        SEARCH_WORD,
    )
    assert matches[0]["n"] == 1_200 // len(TITLE_WORDS)


def test_bulk_seeding_refuses_any_database_but_the_benchs() -> None:
    with pytest.raises(RuntimeError, match="only the bench's own"):
        BulkSeeder(_target(db_suffix=""), USERS, existing=0)

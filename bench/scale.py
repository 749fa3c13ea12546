"""``make bench SCALE=1``: the same reads at 10,000 posts and at 1,000,000, to show what grows with the table.

Seeding a million posts through the API would take hours on two cores (each create writes its outbox
row, and its event reaches votes). This is the bench's own fast path, and nothing else's: server-side
``INSERT ... SELECT FROM generate_series`` straight into the bench databases (it refuses any other),
writing in each service's own database what the services and their events would have written:

- posts (``posts_bench``): the posts, by the users the bench registered through the API (their
  ``authors`` read-model rows are already there; any missing one is added as ``ensure_author`` would),
  each with ``vote_count`` and ``vote_seq`` equal to votes' tally of it;
- votes (``votes_bench``): the ``known_posts`` read-model row of each post (as ``posts.post.created``
  leaves it) and 0, 1 or 2 votes per post by distinct users; votes' own statement-level triggers fill
  ``vote_tallies`` (a post's votes go in one statement, so its tally has ``seq`` 1, which is why posts
  gets ``vote_seq`` 1);
- auth: nothing (the authors are the bench's registered users).

Post ids are ``md5(<run token>-<n>)`` in both databases (the bench computes the same ids for its
single-post reads). The seeded posts are older than the API-made ones, one second apart, so growing
the table adds history below what the first pages show. No schema change: the rows go through every
index and trigger as any insert does, in chunks of their own transactions, the two databases side by
side; then ``VACUUM ANALYZE`` (what autovacuum would do soon after such a load: statistics and the
visibility map). The event pipeline's drain check (outbox empty, votes knows every post, the sums of
votes and counts equal) then confirms the databases agree.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg

from bench import report
from bench.runner import Runner, Scenario
from bench.seed import BenchUser, create_post, next_cursor, wait_for_drain
from bench.stackctl import BENCH_DB_SUFFIX, Target
from common.db import asyncpg_dsn

__all__ = ["SEARCH_WORD", "TITLE_WORDS", "BulkSeeder", "post_id", "ratio_rows", "study"]

#: Title words, one per post in turn (as ``seed.py`` titles API posts); the search reads look for one.
TITLE_WORDS = (
    "latency", "queue", "outbox", "gateway", "token", "postgres", "index", "cursor", "replica", "schema",
    "relay", "consumer", "broker", "worker", "migration", "cache", "event", "feed", "vote", "page",
)  # fmt: skip
SEARCH_WORD = "outbox"
#: Content words share nothing with the titles, so a search for a title word matches 1 post in 20.
_LOREM_TEXT = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore"
    " et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip"
    " ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla"
)
#: Rows per statement (and transaction): a post's votes always go in the one of its post.
CHUNK = 50_000
_POSTS_SQL = """
INSERT INTO posts (id, author_id, title, content, published, vote_count, vote_seq, created_at, updated_at)
SELECT md5($1 || i)::uuid,
       ($2::uuid[])[i % cardinality($2::uuid[]) + 1],
       'Seed post ' || i || ': ' || ($3::text[])[i % cardinality($3::text[]) + 1],
       ($4::text[])[i % cardinality($4::text[]) + 1],
       true,
       i % 3,
       (i % 3 > 0)::int,
       $5::timestamptz - make_interval(secs => i),
       $5::timestamptz - make_interval(secs => i)
FROM generate_series($6::int, $7::int) AS i
"""
_AUTHORS_SQL = """
INSERT INTO authors (user_id, username, updated_at)
SELECT u.id, u.name, to_timestamp(0) FROM unnest($1::uuid[], $2::text[]) AS u(id, name)
ON CONFLICT (user_id) DO NOTHING
"""
_KNOWN_SQL = """
INSERT INTO known_posts (post_id, author_id, published, deleted, changed_at)
SELECT md5($1 || i)::uuid, ($2::uuid[])[i % cardinality($2::uuid[]) + 1], true, false,
       $3::timestamptz - make_interval(secs => i)
FROM generate_series($4::int, $5::int) AS i
"""
#: Post n gets n % 3 votes, by users (7n + j) mod users for j < n % 3: distinct for 2 users or more.
_VOTES_SQL = """
INSERT INTO votes (user_id, post_id, created_at)
SELECT ($2::uuid[])[(i * 7 + j) % cardinality($2::uuid[]) + 1], md5($1 || i)::uuid,
       $3::timestamptz - make_interval(secs => i)
FROM generate_series($4::int, $5::int) AS i, generate_series(0, 1) AS j
WHERE j < i % 3
"""


def post_id(prefix: str, n: int) -> uuid.UUID:
    """The id of seeded post ``n`` (PostgreSQL's ``md5(prefix || n)::uuid``)."""
    return uuid.UUID(hashlib.md5(f"{prefix}{n}".encode(), usedforsecurity=False).hexdigest())


def _contents(count: int = 16) -> list[str]:
    words = _LOREM_TEXT.split()
    rng = random.Random(16)  # noqa: S311 (filler text)
    return [" ".join(rng.choice(words) for _ in range(12 + 2 * k)).capitalize() + "." for k in range(count)]


@dataclass
class BulkSeeder:
    """Grows the bench databases' posts (and everything that matches them) to a given total."""

    target: Target
    users: list[BenchUser]
    #: API-made posts already there; seeded posts are numbered after them from 1.
    existing: int
    prefix: str = field(default_factory=lambda: f"bench-scale-{secrets.token_hex(4)}-")
    #: Seeded posts so far (numbered 1 .. seeded).
    seeded: int = 0
    #: The newest seeded post's age is counted from here.
    anchor: datetime = field(default_factory=lambda: datetime.now(UTC))
    timings_s: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.target.db_suffix != BENCH_DB_SUFFIX:
            raise RuntimeError(
                "the scale run writes straight into the databases: only the bench's own"
                f" (<service>{BENCH_DB_SUFFIX}), not <service>{self.target.db_suffix}"
            )
        if len(self.users) < 2:
            raise RuntimeError("the scale run needs at least 2 users (a post gets up to 2 votes)")

    def ids(self, sample: int, seed: int = 0) -> list[uuid.UUID]:
        """``sample`` ids of seeded posts drawn at random from all of them (for single-post reads)."""
        rng = random.Random(seed)  # noqa: S311 (which posts to read)
        count = min(sample, self.seeded)
        return [post_id(self.prefix, n) for n in rng.sample(range(1, self.seeded + 1), count)]

    @property
    def total(self) -> int:
        return self.existing + self.seeded

    async def grow(self, total: int, progress: Callable[[str], None] = print) -> dict[str, Any]:
        """Add seeded posts until the table holds ``total`` posts; timings of each part."""
        first, last = self.seeded + 1, total - self.existing
        if last < first:
            return {"added": 0}
        user_ids = [uuid.UUID(u.user_id) for u in self.users]
        start = time.perf_counter()
        posts_s, votes_s = await asyncio.gather(
            self._posts(first, last, user_ids), self._votes(first, last, user_ids)
        )
        insert_s = time.perf_counter() - start
        vacuum = time.perf_counter()
        await asyncio.gather(
            self._run("posts", ["VACUUM ANALYZE posts", "VACUUM ANALYZE authors"]),
            self._run("votes", [f"VACUUM ANALYZE {t}" for t in ("votes", "vote_tallies", "known_posts")]),
        )
        vacuum_s = time.perf_counter() - vacuum
        self.seeded = last
        added = last - first + 1
        took = time.perf_counter() - start
        progress(
            f"  bulk-seeded {added:,} posts (to {total:,}) in {took:.1f}s: inserts {insert_s:.1f}s"
            f" (posts {posts_s:.1f}s, votes {votes_s:.1f}s side by side), VACUUM ANALYZE {vacuum_s:.1f}s;"
            f" {added / took:,.0f} posts/s"
        )
        return {
            "added": added,
            "total": total,
            "seconds": round(took, 1),
            "insert_s": round(insert_s, 1),
            "posts_db_s": round(posts_s, 1),
            "votes_db_s": round(votes_s, 1),
            "vacuum_analyze_s": round(vacuum_s, 1),
            "posts_per_s": round(added / took),
        }

    async def _connect(self, service: str) -> asyncpg.Connection:
        conn = await asyncpg.connect(asyncpg_dsn(self.target.database_url(service)), timeout=10)
        # Bulk load: a lost commit at a crash costs a bench rerun, not data anyone owns.
        await conn.execute("SET synchronous_commit = off")
        await conn.execute("SET maintenance_work_mem = '256MB'")
        return conn

    async def _chunks(
        self,
        service: str,
        first: int,
        last: int,
        step: Callable[[asyncpg.Connection, int, int], Awaitable[None]],
    ) -> float:
        start = time.perf_counter()
        conn = await self._connect(service)
        try:
            for low in range(first, last + 1, CHUNK):
                high = min(last, low + CHUNK - 1)
                async with conn.transaction():
                    await step(conn, low, high)
        finally:
            await conn.close()
        return time.perf_counter() - start

    async def _posts(self, first: int, last: int, user_ids: list[uuid.UUID]) -> float:
        authors_done = False
        contents = _contents()

        async def step(conn: asyncpg.Connection, low: int, high: int) -> None:
            nonlocal authors_done
            if not authors_done:
                names = [u.username for u in self.users]
                await conn.execute(_AUTHORS_SQL, user_ids, names)
                authors_done = True
            await conn.execute(
                _POSTS_SQL, self.prefix, user_ids, list(TITLE_WORDS), contents, self.anchor, low, high
            )

        return await self._chunks("posts", first, last, step)

    async def _votes(self, first: int, last: int, user_ids: list[uuid.UUID]) -> float:
        async def step(conn: asyncpg.Connection, low: int, high: int) -> None:
            await conn.execute(_KNOWN_SQL, self.prefix, user_ids, self.anchor, low, high)
            await conn.execute(_VOTES_SQL, self.prefix, user_ids, self.anchor, low, high)

        return await self._chunks("votes", first, last, step)

    async def _run(self, service: str, statements: list[str]) -> None:
        conn = await self._connect(service)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()


def ratio_rows(runs: list[dict[str, Any]], small: int, large: int) -> list[dict[str, Any]]:
    """Per read, its p99 and req/s at both sizes and the p99 ratio (large / small)."""
    rows = []
    for key in dict.fromkeys(r["scenario"] for r in runs):
        at = {r["posts"]: r for r in runs if r["scenario"] == key}
        if small not in at or large not in at:
            continue
        low, high = at[small], at[large]
        rows.append(
            {
                "scenario": key,
                "title": low["title"],
                "p99_ms": {"small": low["p99_ms"], "large": high["p99_ms"]},
                "rps": {"small": low["rps"], "large": high["rps"]},
                # No ratio when a run answered nothing in its time (its p99 would read 0).
                "p99_ratio": (
                    round(high["p99_ms"] / low["p99_ms"], 2)
                    if low["requests"] and high["requests"] and low["p99_ms"]
                    else None
                ),
            }
        )
    return rows


# --- the study: the same reads at two sizes --------------------------------------------------------

#: Single-post reads go to this many seeded posts, drawn from the whole table.
POST_SAMPLE = 2_000
PAGE_SIZE = 20


def _paths(deep_page: int, cursor: str) -> dict[str, tuple[str, list[str]]]:
    """key -> (title, request paths) of the reads measured at each size (``post-get`` added later)."""
    return {
        "feed": ("feed page 1 (`?limit=20`)", [f"/api/v1/posts?limit={PAGE_SIZE}"]),
        "feed-miss": (
            "feed page 2 by cursor (never cached)",
            [f"/api/v1/posts?limit={PAGE_SIZE}&cursor={quote(cursor)}"],
        ),
        "page-1": ("page mode, page 1", [f"/api/v1/posts?page=1&size={PAGE_SIZE}"]),
        f"page-{deep_page}": (
            f"page mode, page {deep_page}",
            [f"/api/v1/posts?page={deep_page}&size={PAGE_SIZE}"],
        ),
        "search": (
            f"search `?q={SEARCH_WORD}` (1 post in 20)",
            [f"/api/v1/posts?q={SEARCH_WORD}&limit={PAGE_SIZE}"],
        ),
    }


def _write(directory: Path, name: str, lines: list[str]) -> str:
    path = directory / f"{name}.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def study(
    runner: Runner,
    seeder: BulkSeeder,
    tokens_file: str,
    directory: Path,
    *,
    sizes: tuple[int, int],
    connections: int,
    progress: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Grow the table to each size, retire cached pages the way a write does, and measure every read."""
    target = seeder.target
    author = seeder.users[0]
    fa = ("auth", "GET", "/internal/forward-auth")
    feed = ("posts", "GET", "/api/v1/posts")
    one = ("posts", "GET", "/api/v1/posts/{post_id}")
    deep_page = max(1, min(500, sizes[0] // PAGE_SIZE))
    growth, runs = [], []
    for size in sizes:
        progress(f"scale: growing the table to {size:,} posts (bench-only fast path) ...")
        growth.append(asyncio.run(seeder.grow(size - 1, progress)))
        # One post through the API: every cached page is retired the way any real write retires it.
        asyncio.run(create_post(target, author.token, f"Scale step {size}: {TITLE_WORDS[0]}"))
        seeder.existing += 1
        lag, state = asyncio.run(wait_for_drain(target, within=600))
        progress(f"  drained {lag:.1f}s after ({state.posts:,} posts, {state.votes:,} votes, all agree)")
        cursor = asyncio.run(next_cursor(target.service_urls["posts"], author.token))
        reads = _paths(deep_page, cursor)
        ids = [f"/api/v1/posts/{pid}" for pid in seeder.ids(POST_SAMPLE, seed=size)]
        reads["post-get"] = ("one post by id (random seeded ids)", ids)
        for key, (title, paths) in reads.items():
            files = {"paths": _write(directory, f"scale-{key}-{size}", paths), "tokens": tokens_file}
            if key == "post-get":
                files |= {"random": "1", "seed": str(size)}
            observed = ((one if key == "post-get" else feed), fa)
            scenario = Scenario(key, f"{title}, bearer token", "gateway", "get", connections, observed, files)
            run = runner.run(scenario) | {"posts": state.posts}
            runs.append(run)
            progress(f"  {size:>9,} posts " + report.progress_line(run).strip())
    small, large = (r["posts"] for r in (runs[0], runs[-1]))
    estimate = None
    if growth[-1].get("added"):
        per_post = growth[-1]["seconds"] / growth[-1]["added"]
        estimate = round(per_post * (1_000_000 - sizes[0]) + growth[0].get("seconds", 0.0), 0)
    return {
        "sizes": {"small": small, "large": large},
        "deep_page": deep_page,
        "search_word": SEARCH_WORD,
        "growth": growth,
        "seed_1m_estimate_s": estimate,
        "runs": runs,
        "rows": ratio_rows(runs, small, large),
    }

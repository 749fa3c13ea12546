"""Realistic data, written through the public API so every outbox row and event is the real one.

Users register and sign in through the gateway (the way clients do); posts and seed votes go
straight to their service's port with many requests in flight, which is the same API without the
gateway's hop (seeding is set-up, not measurement). Then the bench waits until the event pipeline
has caught up: no outbox row pending anywhere, votes knows every post, and every post's vote count
equals the votes the votes service holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from bench.stackctl import Target
from common.db import asyncpg_dsn

__all__ = [
    "PASSWORD",
    "BenchUser",
    "SeedData",
    "create_post",
    "next_cursor",
    "pipeline_state",
    "seed",
    "vote_pair",
    "wait_for_drain",
]

#: Every bench user's password (10+ characters, not the username or e-mail).
PASSWORD = "bench correct horse battery"  # noqa: S105 (a throw-away account on a throw-away database)

_TEXT = (
    "the quick brown fox jumps over a lazy dog while the gateway routes each request to its service and"
    " the outbox relay publishes every event to the broker before the consumer commits its effect"
)
_WORDS = _TEXT.split(" ")


@dataclass
class BenchUser:
    username: str
    user_id: str
    token: str


@dataclass
class SeedData:
    users: list[BenchUser]
    post_ids: list[str]
    votes: int
    timings_s: dict[str, float] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "users": len(self.users),
            "posts": len(self.post_ids),
            "votes": self.votes,
            "timings_s": self.timings_s,
            "rates_per_s": self.rates,
            "errors": self.errors,
        }


def vote_pair(k: int, users: int, posts: int) -> tuple[int, int]:
    """(user index, post index) of the k-th vote; ``scenario.lua`` uses the same formula."""
    user = k % users
    post = ((k // users) * 7919 + user * 101) % posts
    return user, post


def _content(i: int) -> str:
    words = [_WORDS[(i * 7 + j * 13) % len(_WORDS)] for j in range(20 + (i * 37) % 180)]
    return " ".join(words).capitalize() + "."


async def _gather_limited(
    count: int, concurrency: int, make: Callable[[int], Awaitable[None]], *, deadline: float | None = None
) -> None:
    """Run ``make(i)`` for i in range(count) with at most ``concurrency`` in flight (until ``deadline``)."""
    cursor = iter(range(count))

    async def lane() -> None:
        for i in cursor:
            if deadline is not None and time.perf_counter() > deadline:
                return
            await make(i)

    await asyncio.gather(*(lane() for _ in range(min(concurrency, count))))


async def _request(
    client: httpx.AsyncClient, method: str, url: str, expected: tuple[int, ...], **kwargs: Any
) -> httpx.Response:
    """One call, retried a few times on a refused connection or a 5xx/429 (the stack is just up)."""
    last: str = ""
    for attempt in range(5):
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            last = repr(exc)
        else:
            if response.status_code in expected:
                return response
            last = f"{response.status_code} {response.text[:300]}"
            if response.status_code < 500 and response.status_code != 429:
                break
        await asyncio.sleep(0.2 * (attempt + 1))
    raise RuntimeError(f"{method} {url} failed: {last}")


async def seed(
    target: Target,
    *,
    users: int,
    posts: int,
    votes: int,
    concurrency: int = 32,
    posts_max_s: float | None = None,
    progress: Callable[[str], None] = print,
) -> SeedData:
    """Users, posts and votes through the API; posts stop at ``posts_max_s`` seconds if given."""
    run = secrets.token_hex(3)
    gateway = target.gateway_url
    data = SeedData(users=[], post_ids=[], votes=0)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        # Users: register, then sign in (Argon2id both ways), through the gateway.
        start = time.perf_counter()
        names = [f"bench_{run}_{i:03d}" for i in range(users)]
        user_ids: dict[str, str] = {}

        async def register(i: int) -> None:
            body = {"email": f"{names[i]}@bench.example.com", "username": names[i], "password": PASSWORD}
            response = await _request(client, "POST", f"{gateway}/api/v1/auth/register", (201,), json=body)
            user_ids[names[i]] = str(response.json()["id"])

        await _gather_limited(users, 4, register)
        data.timings_s["register"] = round(time.perf_counter() - start, 2)

        start = time.perf_counter()
        tokens: dict[str, str] = {}

        async def login(i: int) -> None:
            form = {"username": names[i], "password": PASSWORD}
            response = await _request(client, "POST", f"{gateway}/api/v1/auth/login", (200,), data=form)
            tokens[names[i]] = str(response.json()["access_token"])

        await _gather_limited(users, 4, login)
        data.timings_s["login"] = round(time.perf_counter() - start, 2)
        data.users = [BenchUser(n, user_ids[n], tokens[n]) for n in names]
        took = f"{data.timings_s['register']}s + {data.timings_s['login']}s"
        progress(f"  {users} users registered and signed in ({took})")

        # Posts: many in flight, straight to posts' port, rotating authors.
        posts_url = target.service_urls["posts"]
        post_ids: list[str | None] = [None] * posts
        start = time.perf_counter()

        async def create(i: int) -> None:
            user = data.users[i % users]
            body = {"title": f"Seed post {i}: {_WORDS[i % len(_WORDS)]}", "content": _content(i)}
            response = await _request(
                client,
                "POST",
                f"{posts_url}/api/v1/posts",
                (201,),
                json=body,
                headers={"Authorization": f"Bearer {user.token}"},
            )
            post_ids[i] = str(response.json()["id"])

        cpu = time.process_time()
        deadline = start + posts_max_s if posts_max_s else None
        await _gather_limited(posts, concurrency, create, deadline=deadline)
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        data.post_ids = [p for p in post_ids if p is not None]
        made = len(data.post_ids)
        data.timings_s["posts"] = round(elapsed, 2)
        data.rates["posts"] = round(made / elapsed, 1)
        data.rates["posts_client_cores"] = round(cpu / elapsed, 2)
        if made < posts:
            data.errors["posts_not_seeded_time_cap"] = posts - made
        progress(
            f"  {made} posts created through the API in {elapsed:.1f}s ({made / elapsed:.0f}/s;"
            f" the seeding client used {cpu / elapsed:.2f} cores)"
            + (f"; stopped at the {posts_max_s:.0f}s cap, {posts - made} short" if made < posts else "")
        )

        # Votes know every post before votes are cast (as in steady state), so no vote takes the
        # slow path of asking posts about a post whose posts.post.created is still queued.
        drained, _ = await wait_for_drain(target, within=300)
        data.timings_s["posts_drain"] = round(drained, 2)
        progress(f"  votes learned every post {drained:.1f}s after the last one was created")

        # Votes: pairs 0..votes-1 of the sequence the vote scenario continues.
        votes_url = target.service_urls["votes"]
        start = time.perf_counter()
        new_votes = 0

        async def vote(k: int) -> None:
            nonlocal new_votes
            user, post = vote_pair(k, users, len(data.post_ids))
            response = await _request(
                client,
                "PUT",
                f"{votes_url}/api/v1/votes/{data.post_ids[post]}",
                (200, 201),
                headers={"Authorization": f"Bearer {data.users[user].token}"},
            )
            new_votes += response.status_code == 201

        await _gather_limited(votes, concurrency, vote)
        elapsed = time.perf_counter() - start
        data.votes = new_votes
        data.timings_s["votes"] = round(elapsed, 2)
        data.rates["votes"] = round(votes / elapsed, 1) if elapsed else 0.0
        progress(f"  {votes} votes cast in {elapsed:.1f}s ({votes / elapsed:.0f}/s)")
    return data


async def create_post(target: Target, token: str, title: str) -> str:
    """One post through posts' API (its id): a real write, with its outbox row and cache retirement."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await _request(
            client,
            "POST",
            f"{target.service_urls['posts']}/api/v1/posts",
            (201,),
            json={"title": title, "content": _content(0)},
            headers={"Authorization": f"Bearer {token}"},
        )
    return str(response.json()["id"])


async def next_cursor(base_url: str, token: str, limit: int = 20) -> str:
    """The ``next_cursor`` of the signed-in feed's first page (where its uncached page 2 starts)."""
    async with httpx.AsyncClient(timeout=30) as client:
        response = await _request(
            client,
            "GET",
            f"{base_url}/api/v1/posts?limit={limit}",
            (200,),
            headers={"Authorization": f"Bearer {token}"},
        )
    cursor = response.json().get("next_cursor")
    if not cursor:
        raise RuntimeError(f"the feed's first page has no next_cursor: seed more than {limit} posts")
    return str(cursor)


@dataclass
class PipelineState:
    outbox_pending: dict[str, int]
    posts: int
    known_posts: int
    votes: int
    vote_count_sum: int

    @property
    def drained(self) -> bool:
        return (
            not any(self.outbox_pending.values())
            and self.known_posts >= self.posts
            and self.vote_count_sum == self.votes
        )


class _Databases:
    """One connection per database for the whole wait (not one per query: PostgreSQL's
    ``max_connections`` is shared with every test suite on the machine)."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.connections: dict[str, asyncpg.Connection] = {}

    async def scalar(self, service: str, sql: str) -> int:
        conn = self.connections.get(service)
        if conn is None or conn.is_closed():
            for attempt in range(20):
                try:
                    conn = await asyncpg.connect(asyncpg_dsn(self.target.database_url(service)), timeout=5)
                    break
                except asyncpg.TooManyConnectionsError:
                    if attempt == 19:
                        raise
                    await asyncio.sleep(0.5)
            assert conn is not None
            self.connections[service] = conn
        return int(await conn.fetchval(sql) or 0)

    async def close(self) -> None:
        for conn in self.connections.values():
            with contextlib.suppress(Exception):
                await conn.close()
        self.connections.clear()


async def pipeline_state(target: Target, databases: _Databases | None = None) -> PipelineState:
    db = databases or _Databases(target)
    try:
        pending_sql = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
        pending = {name: await db.scalar(name, pending_sql) for name in ("auth", "posts", "votes")}
        return PipelineState(
            outbox_pending=pending,
            posts=await db.scalar("posts", "SELECT count(*) FROM posts WHERE deleted_at IS NULL"),
            known_posts=await db.scalar("votes", "SELECT count(*) FROM known_posts WHERE NOT deleted"),
            votes=await db.scalar("votes", "SELECT count(*) FROM votes"),
            vote_count_sum=await db.scalar("posts", "SELECT coalesce(sum(vote_count), 0) FROM posts"),
        )
    finally:
        if databases is None:
            await db.close()


async def wait_for_drain(
    target: Target, *, within: float = 120.0, interval: float = 0.1
) -> tuple[float, PipelineState]:
    """Seconds until the pipeline is drained (checked twice in a row), and the final state."""
    start = time.perf_counter()
    deadline = start + within
    databases = _Databases(target)
    try:
        state = await pipeline_state(target, databases)
        while True:
            if state.drained:
                drained_after = time.perf_counter() - start
                await asyncio.sleep(interval)
                again = await pipeline_state(target, databases)
                if again.drained:
                    return drained_after, again
                state = again
                continue
            if time.perf_counter() > deadline:
                raise TimeoutError(f"event pipeline not drained after {within:.0f}s: {state}")
            await asyncio.sleep(interval)
            state = await pipeline_state(target, databases)
    finally:
        await databases.close()

"""A native stack of its own whose AMQP, Redis and Postgres connections run through fault proxies.

Ports 17000-17004, databases ``<service>_faults``, Redis database 8, event prefix ``faults.``.
The proxies (``common_testing.TcpProxy``) run on an event loop in a background thread, so they keep
forwarding while a test blocks; each service reaches its own database through its own proxy (the
posts database can stall alone), and every service shares one proxy to RabbitMQ and one to Redis
(cutting it is the broker or the cache going away for everybody).

A :class:`Load` writes through the gateway (posts, votes, sign-ups) while a fault happens and keeps
what was acknowledged; :class:`Ledger` then checks, once the pipeline has drained, that every
acknowledged write is stored, that no event was lost or applied twice, and that vote counts agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text

from common.db import Database
from common.dbtools import drop_database
from common.events import schemas as events
from common.events.topology import installed_subscriptions
from common_testing import TEST_AMQP_URL, TcpProxy, delete_topology, eventually, machine_lock
from common_testing.reconcile import Reconciliation, reconcile
from deploy.native import stack as native

ROOT = Path(__file__).resolve().parents[2]
PG = ("127.0.0.1", 5432)
SERVICES = ("auth", "posts", "votes", "worker")
PASSWORD = "faults are a kind of weather"
#: The bound on hanging: every request made during a fault is answered within this, or fails the test.
CLIENT_TIMEOUT = 10.0
T = TypeVar("T")


class Proxies:
    """The fault proxies, served by an event loop of their own in a background thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fault-proxies", daemon=True)
        self.thread.start()
        self.amqp = self._start("127.0.0.1", 5672)
        self.redis = self._start("127.0.0.1", 6379)
        self.pg = {name: self._start(*PG) for name in SERVICES}

    def _start(self, host: str, port: int) -> TcpProxy:
        async def start() -> TcpProxy:
            return await TcpProxy(host, port).start()

        return self.run(start())

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    async def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` (a proxy's cut/restore/pause/resume) on the proxies' loop, from a test."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))

    def close(self) -> None:
        for proxy in (self.amqp, self.redis, *self.pg.values()):
            self.run(proxy.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


def fault_config(proxies: Proxies, keys_dir: Path) -> Any:
    config: Any = native.StackConfig(
        pg_base=f"postgresql+asyncpg://postgres@{PG[0]}:{PG[1]}",
        redis_url=f"redis://127.0.0.1:{proxies.redis.port}/8",
        amqp_url=proxies.amqp.url(TEST_AMQP_URL),
        gateway_port=17000,
        ports={"auth": 17001, "posts": 17002, "votes": 17003, "worker": 17004},
        db_suffix="_faults",
        events_prefix="faults.",
        environment="test",
        keys_dir=keys_dir,
        log_dir=ROOT / ".dev" / "logs" / "faults",
        extra_env={
            # The load signs up, votes and writes from one address at a pace the defaults would stop.
            "REGISTER_IP_LIMIT": "100000",
            "LOGIN_IP_LIMIT": "100000",
            "VOTE_RATE_LIMIT": "100000",
            "CONSUMER_RETRY_BASE_MS": "100",
            # PostgreSQL here allows 100 connections for every stack and suite running at once.
            "DATABASE_POOL_SIZE": "4",
        },
    )

    def through_proxy(name: str) -> str:
        """Each service's database through its own proxy (the posts database can stall alone)."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{proxies.pg[name].port}/{name}_faults"

    config.database_url = through_proxy
    return config


def direct_url(name: str) -> str:
    """A service's database straight, for the checks (they must work while a proxy is cut)."""
    return f"postgresql+asyncpg://postgres@{PG[0]}:{PG[1]}/{name}_faults"


@pytest.fixture(scope="session")
def proxies() -> Iterator[Proxies]:
    running = Proxies()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture(scope="session")
def fault_stack(proxies: Proxies, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with machine_lock("faults-stack"):
        yield from _fault_stack(proxies, tmp_path_factory)


def _fault_stack(proxies: Proxies, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    config = fault_config(proxies, tmp_path_factory.mktemp("fault-keys"))
    asyncio.run(_reset(config))
    native.prepare(config)
    stack = native.Stack(config)
    stack.start()
    try:
        stack.wait_ready(timeout=90)
        yield stack
    finally:
        stack.stop()


async def _reset(config: Any) -> None:
    """Every run starts from nothing: databases, queued events, Redis."""
    for name in SERVICES:
        await drop_database(direct_url(name))
    await delete_topology(TEST_AMQP_URL, config.events_prefix)
    async with aioredis.Redis.from_url("redis://127.0.0.1:6379/8") as redis:
        await redis.flushdb()


@dataclass
class Outcomes:
    """What every request of a load got: a status, or the exception that ended it."""

    statuses: Counter[str] = field(default_factory=Counter)
    unclear: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)

    def record(self, label: str, response: httpx.Response | None, error: BaseException | None) -> None:
        if error is not None:  # a timeout (hung past CLIENT_TIMEOUT) or no answer at all
            self.statuses[f"{label} {type(error).__name__}"] += 1
            self.unanswered.append(f"{label}: {error!r}")
            return
        assert response is not None
        self.statuses[f"{label} {response.status_code}"] += 1
        if response.status_code >= 400 and not _is_json_error(response):
            self.unclear.append(f"{label} {response.status_code} {response.text[:120]!r}")

    def summary(self) -> str:
        return ", ".join(f"{key}: {count}" for key, count in sorted(self.statuses.items()))


def _is_json_error(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    problem = response.headers.get("content-type") == "application/problem+json"
    return problem and isinstance(body, dict) and "detail" in body


@dataclass(frozen=True)
class Account:
    id: str
    headers: dict[str, str]


def sign_up(gateway_url: str, name: str) -> Account:
    with httpx.Client(base_url=gateway_url, timeout=CLIENT_TIMEOUT) as client:
        registered = client.post(
            "/api/v1/auth/register",
            json={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        login = client.post("/api/v1/auth/login", data={"username": name, "password": PASSWORD})
        assert login.status_code == 200, login.text
    return Account(registered.json()["id"], {"Authorization": f"Bearer {login.json()['access_token']}"})


class Load:
    """Writers through the gateway: posts, votes on acknowledged posts, and now and then a sign-up.

    Only what the client saw succeed counts as acknowledged; what a failed request did is neither
    promised nor checked.
    """

    def __init__(self, gateway_url: str, accounts: list[Account], *, seed: int) -> None:
        self.gateway_url = gateway_url
        self.accounts = accounts
        self.random = random.Random(seed)
        self.posts: list[str] = []
        self.votes: set[tuple[str, str]] = set()  # (user id, post id)
        self.sign_ups: list[str] = []
        self.outcomes = Outcomes()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _send(self, client: httpx.AsyncClient, label: str, method: str, url: str, **kw: Any) -> Any:
        try:
            response = await client.request(method, url, **kw)
        except httpx.HTTPError as exc:
            self.outcomes.record(label, None, exc)
            return None
        self.outcomes.record(label, response, None)
        return response

    async def _write_post(self, client: httpx.AsyncClient, account: Account, title: str) -> None:
        body = {"title": title, "content": "written during a fault"}
        created = await self._send(
            client, "post", "POST", "/api/v1/posts", json=body, headers=account.headers
        )
        if created is not None and created.status_code == 201:
            self.posts.append(created.json()["id"])

    async def _vote(self, client: httpx.AsyncClient, account: Account) -> None:
        post = self.random.choice(self.posts)
        voted = await self._send(client, "vote", "PUT", f"/api/v1/votes/{post}", headers=account.headers)
        if voted is not None and voted.status_code in (200, 201):
            self.votes.add((account.id, post))

    async def _sign_up(self, client: httpx.AsyncClient) -> None:
        name = f"load_{uuid.uuid4().hex[:10]}"
        body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
        signed_up = await self._send(client, "sign-up", "POST", "/api/v1/auth/register", json=body)
        if signed_up is not None and signed_up.status_code == 201:
            self.sign_ups.append(signed_up.json()["id"])

    async def _writer(self, index: int) -> None:
        async with httpx.AsyncClient(base_url=self.gateway_url, timeout=CLIENT_TIMEOUT) as client:
            step = 0
            while not self._stop.is_set():
                step += 1
                account = self.random.choice(self.accounts)
                await self._write_post(client, account, f"load {index}.{step}")
                if self.posts:
                    await self._vote(client, account)
                if step % 5 == 0:
                    await self._sign_up(client)
                await asyncio.sleep(0.02)

    def start(self, writers: int = 2) -> None:
        self._tasks = [asyncio.create_task(self._writer(i)) for i in range(writers)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)


class Ledger:
    """The checks, straight against each service's database (they work while a proxy is cut)."""

    def __init__(self) -> None:
        self.db = {name: Database(direct_url(name), pool_size=1) for name in SERVICES}

    async def close(self) -> None:
        for db in self.db.values():
            await db.dispose()

    async def scalar(self, service: str, sql: str) -> Any:
        async with self.db[service].session() as session:
            return (await session.execute(text(sql))).scalar()

    async def rows(self, service: str, sql: str) -> list[Any]:
        async with self.db[service].session() as session:
            return list((await session.execute(text(sql))).all())

    async def pending_events(self) -> int:
        total = 0
        for service in ("auth", "posts", "votes"):
            total += await self.scalar(service, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        return total

    async def vote_count_mismatches(self) -> dict[str, tuple[int, int]]:
        """Posts whose shown vote count differs from the votes stored (shown, stored)."""
        stored = {
            str(p): n for p, n in await self.rows("votes", "SELECT post_id, count(*) FROM votes GROUP BY 1")
        }
        shown = {str(p): n for p, n in await self.rows("posts", "SELECT id, vote_count FROM posts")}
        return {
            post: (shown.get(post, 0), stored.get(post, 0))
            for post in stored.keys() | shown.keys()
            if shown.get(post, 0) != stored.get(post, 0)
        }

    async def missing(self, load: Load) -> dict[str, list[str]]:
        """Acknowledged writes that are not stored."""
        posts = {str(r[0]) for r in await self.rows("posts", "SELECT id FROM posts")}
        votes = {(str(u), str(p)) for u, p in await self.rows("votes", "SELECT user_id, post_id FROM votes")}
        users = {str(r[0]) for r in await self.rows("auth", "SELECT id FROM users")}
        return {
            "posts": [p for p in load.posts if p not in posts],
            "votes": [f"{u} -> {p}" for u, p in sorted(load.votes) if (u, p) not in votes],
            "sign-ups": [u for u in load.sign_ups if u not in users],
        }

    async def reconciliations(self) -> dict[str, Reconciliation]:
        """Producer outbox against consumer inbox, for every pipeline the load goes through."""
        db = self.db
        votes = [events.VoteCast.TYPE, events.VoteRetracted.TYPE]
        post_events = [t for t in installed_subscriptions()["votes"].types if t.startswith("posts.")]
        registered = [events.UserRegistered.TYPE]
        return {
            "votes -> posts": await reconcile(db["votes"], db["posts"], consumer_name="posts", types=votes),
            "posts -> votes": await reconcile(
                db["posts"], db["votes"], consumer_name="votes", types=post_events
            ),
            "auth -> posts": await reconcile(
                db["auth"], db["posts"], consumer_name="posts", types=registered
            ),
            "auth -> worker": await reconcile(
                db["auth"],
                db["worker"],
                consumer_name="worker-mail",
                types=registered,
                effects_sql="SELECT event_id FROM jobs WHERE event_id IS NOT NULL",
            ),
        }

    async def settled(self) -> bool:
        """The pipeline has drained: no event waits, every one arrived, vote counts agree."""
        if await self.pending_events():
            return False
        if any(r.lost for r in (await self.reconciliations()).values()):
            return False
        return not await self.vote_count_mismatches()


@pytest.fixture(scope="session")
def accounts(fault_stack: Any) -> list[Account]:
    return [sign_up(fault_stack.config.gateway_url, f"writer{i}_{uuid.uuid4().hex[:6]}") for i in range(4)]


@pytest.fixture
async def ledger() -> AsyncIterator[Ledger]:
    checks = Ledger()
    try:
        yield checks
    finally:
        await checks.close()


@pytest.fixture
def load(fault_stack: Any, accounts: list[Account], request: pytest.FixtureRequest) -> Load:
    return Load(fault_stack.config.gateway_url, accounts, seed=sum(map(ord, request.node.name)))


async def _settle_and_check(
    ledger: Ledger, load: Load, stack: Any, report: Callable[[str], None] = print
) -> None:
    """After a fault: every acknowledged write stored, nothing lost or applied twice, counts agree,
    and every request was answered (a success or a clear JSON error) within the client timeout."""
    await load.stop()
    await asyncio.to_thread(stack.wait_ready, 60)
    with contextlib.suppress(AssertionError):
        await eventually(ledger.settled, within=60, interval=0.5)
    report(
        f"acknowledged {len(load.posts)} posts, {len(load.votes)} votes, {len(load.sign_ups)} sign-ups;"
        f" answers: {load.outcomes.summary()}"
    )
    unanswered = load.outcomes.unanswered
    assert unanswered == [], f"no answer within {CLIENT_TIMEOUT}s: {unanswered[:5]}"
    assert load.outcomes.unclear == [], load.outcomes.unclear
    assert load.posts, f"nothing was acknowledged: {load.outcomes.summary()}"
    missing = await ledger.missing(load)
    assert missing == {"posts": [], "votes": [], "sign-ups": []}, missing
    for pipeline, result in (await ledger.reconciliations()).items():
        assert result.produced > 0, f"{pipeline}: the load produced no event to check"
        assert result.clean, f"{pipeline}: {result}"
    assert await ledger.pending_events() == 0
    assert await ledger.vote_count_mismatches() == {}


@pytest.fixture
def settle_and_check(request: pytest.FixtureRequest) -> Callable[[Ledger, Load, Any], Awaitable[None]]:
    """The checks, reporting what the writers saw on the terminal (shown even when captured)."""
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def report(line: str) -> None:
        if terminal is None or capture is None:
            print(line)
            return
        with capture.global_and_fixture_disabled():
            terminal.write_line(f"\n{request.node.name}: {line}")

    async def check(ledger: Ledger, load: Load, stack: Any) -> None:
        await _settle_and_check(ledger, load, stack, report)

    return check

"""Helpers for the services' test suites: real, migrated databases and real tokens.

Nothing here is mocked: databases are created and migrated with each service's own Alembic
revisions, and tokens are signed with a real RSA key that the app under test verifies.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aio_pika
import httpx
import jwt
import redis.asyncio as aioredis
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from common.dbtools import drop_database, ensure_database
from common.events.topology import (
    EXCHANGE,
    Subscription,
    declare_subscription,
    installed_subscriptions,
    retry_delays_ms,
)
from common.identity import ACCESS_TOKEN_TYPE, Principal, TokenVerifier
from common.migrations import schema_diff_from_scratch, tables_of

__all__ = [
    "TEST_AMQP_URL",
    "TEST_AUDIENCE",
    "TEST_ISSUER",
    "TcpProxy",
    "TokenFactory",
    "declare_topology",
    "delete_topology",
    "eventually",
    "fresh_service",
    "machine_lock",
    "migrations_diff",
    "prepare_database",
    "serve",
    "test_database_url",
    "truncate_all",
]

TEST_ISSUER = "social-posts-auth"
TEST_AUDIENCE = "social-posts"
PG = os.environ.get("TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
TEST_AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
#: Tests use their own Redis databases (one per suite) so a running dev stack is not disturbed.
TEST_REDIS_BASE = os.environ.get("TEST_REDIS_BASE", "redis://127.0.0.1:6379")


@contextlib.contextmanager
def machine_lock(name: str, *, wait: float = 900.0) -> Iterator[None]:
    """Hold a lock every checkout on this machine shares (it lives in the temp directory, not in the
    checkout): two test runs that start the same stack would drop each other's databases and fight
    over its ports, so the second waits for the first. Released when the holder exits, even killed.
    """
    path = Path(tempfile.gettempdir()) / f"social-posts-{name}.lock"
    with path.open("a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"another test run has held {path} for {wait:.0f}s") from None
                time.sleep(1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def test_database_url(name: str) -> str:
    return f"{PG}/{name}"


async def migrations_diff(models: ModuleType, *shared: MetaData) -> list[Any]:
    """Alembic's autogenerate diff between a service's models (``models``, its ``models`` module,
    and the ``shared`` tables it also holds: the outbox and inbox, idempotency keys) and its own
    migrations run from nothing, in the database ``<service>_migrations``; empty when they agree."""
    service = models.__name__.split(".")[0].removesuffix("_service")  # votes_service.models: votes
    alembic_ini = Path(str(models.__file__)).parents[2] / "alembic.ini"  # services/votes/src/votes_service/
    url = test_database_url(f"{service}_migrations")
    return await schema_diff_from_scratch(alembic_ini, url, [tables_of(models), *shared])


async def prepare_database(url: str, alembic_ini: Path) -> None:
    """A fresh database migrated from nothing, so every run also tests the migrations."""
    await drop_database(url)
    await ensure_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "alembic", "-c", str(alembic_ini), "upgrade", "head"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrations failed for {url}:\n{result.stderr}")


async def truncate_all(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


async def delete_topology(
    url: str,
    prefix: str,
    *,
    max_attempts: int = 5,
    retry_base_ms: int = 200,
    also: Iterable[Subscription] = (),
) -> None:
    """Remove a prefixed topology so a test run starts with empty queues: every installed
    subscription's queues, ``also``'s (a suite's own test subscriptions) and the exchange."""
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        for base in (*installed_subscriptions().values(), *also):
            sub = base.with_prefix(prefix)
            names = [
                sub.queue,
                sub.dlq,
                *(sub.retry_queue(d) for d in retry_delays_ms(max_attempts, retry_base_ms)),
            ]
            for name in names:
                await channel.queue_delete(name)
        await channel.exchange_delete(f"{prefix}{EXCHANGE}")


async def declare_topology(url: str, prefix: str, *, max_attempts: int = 5, retry_base_ms: int = 200) -> None:
    """Declare every installed subscription under ``prefix``, as if each consumer had started once:
    a suite's events then land in the queues of consumers it does not run (not held back as
    unroutable), as they do in a deployment where every service has started."""
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        for base in installed_subscriptions().values():
            await declare_subscription(
                channel, base.with_prefix(prefix), max_attempts=max_attempts, retry_base_ms=retry_base_ms
            )


async def eventually(
    check: Callable[[], Awaitable[Any]], *, within: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll ``check`` until it returns a truthy value (events are asynchronous); fail after ``within`` s."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {within}s (last value: {last!r})")


class TokenFactory:
    """Signs access tokens the way auth does, with a key generated for the test run."""

    def __init__(self, *, issuer: str = TEST_ISSUER, audience: str = TEST_AUDIENCE) -> None:
        self.kid = "test-key"
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.issuer = issuer
        self.audience = audience

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(
            {self.kid: self.private_key.public_key()}, issuer=self.issuer, audience=self.audience
        )

    def claims(
        self, user_id: uuid.UUID, username: str, *, role: str = "user", ttl: int = 600, **extra: Any
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "typ": ACCESS_TOKEN_TYPE,
            "sid": str(uuid.uuid4()),
            "name": username,
            "role": role,
            "tier": "free",
            "email_verified": True,
            **extra,
        }

    def sign(self, claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm="RS256", headers={"kid": self.kid, **(headers or {})}
        )

    def token(self, user_id: uuid.UUID, username: str, **kwargs: Any) -> str:
        return self.sign(self.claims(user_id, username, **kwargs))

    def user(self, username: str | None = None, *, role: str = "user") -> tuple[Principal, dict[str, str]]:
        """A new user and the headers that authenticate as them."""
        user_id = uuid.uuid4()
        name = username or f"user_{user_id.hex[:8]}"
        claims = self.claims(user_id, name, role=role)
        principal = Principal(
            user_id=user_id,
            username=name,
            role=role,
            session_id=uuid.UUID(claims["sid"]),
            token_id=claims["jti"],
            expires_at=claims["exp"],
        )
        return principal, {"Authorization": f"Bearer {self.sign(claims)}"}


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``app``'s lifespan (real connections) and hand back a client talking to it in-process."""
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(manager.app), base_url="http://testserver") as client,
    ):
        yield client


async def fresh_service(
    *, db_name: str, alembic_ini: Path, prefix: str, redis_db: int, amqp_url: str = TEST_AMQP_URL
) -> dict[str, Any]:
    """A migrated database, an empty event topology (every installed subscription declared) and an
    empty Redis database; settings overrides."""
    url = test_database_url(db_name)
    redis_url = f"{TEST_REDIS_BASE}/{redis_db}"
    await prepare_database(url, alembic_ini)
    await delete_topology(amqp_url, prefix, max_attempts=5, retry_base_ms=50)
    await declare_topology(amqp_url, prefix, max_attempts=5, retry_base_ms=50)
    async with aioredis.Redis.from_url(redis_url) as redis:
        await redis.flushdb()
    return {
        "environment": "test",
        "database_url": url,
        "events_prefix": prefix,
        "amqp_url": amqp_url,
        "redis_url": redis_url,
        # retries within a second, so a test sees a poisoned event reach the dead-letter queue
        "consumer_max_attempts": 5,
        "consumer_retry_base_ms": 50,
    }


class TcpProxy:
    """A loopback TCP proxy that can cut a connection the way a network fault or a broker restart does.

    ``cut()`` closes every open connection and stops listening (new connections are refused);
    ``restore()`` listens again on the same port. ``pause()`` keeps every connection open but
    forwards nothing (a stalled server: requests wait, nothing fails); ``resume()`` delivers what
    was held back and carries on. Pass ``port`` to listen on a fixed port.
    """

    def __init__(self, target_host: str, target_port: int, *, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self.port = port
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def url(self, scheme_url: str) -> str:
        """``scheme_url`` (e.g. an AMQP URL) rewritten to go through this proxy."""
        host, port = self.target
        return scheme_url.replace(f"{host}:{port}", f"127.0.0.1:{self.port}", 1)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        await self._flowing.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._writers.discard(writer)
            writer.close()
            return
        self._writers.add(up_writer)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    await self._flowing.wait()
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers -= {writer, up_writer}

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def pause(self) -> None:
        """Hold every byte in both directions (connections stay open) until :meth:`resume`."""
        self._flowing.clear()

    async def resume(self) -> None:
        self._flowing.set()

    async def close(self) -> None:
        self._flowing.set()
        await self.cut()

"""The event backbone against a real Postgres database and the real RabbitMQ broker.

A ``probe`` subscription (test-only) receives ``test.probe.happened`` events; its handler writes
one row into ``effects`` per application, with no unique constraint, so a second application of
the same event would show as a duplicate row.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from common.dbtools import drop_database, ensure_database
from common.events import (
    INBOX_DDL,
    OUTBOX_DDL,
    Consumer,
    Envelope,
    Event,
    EventBus,
    Handlers,
    OutboxRelay,
    Subscription,
    add_event,
)
from common.events.consumer import AfterCommit
from common.events.topology import declare_subscription
from common_testing import TEST_AMQP_URL, declare_topology, delete_topology, test_database_url

PREFIX = "test-common."
DB_URL = test_database_url("common_test")


async def queue_depth(bus: EventBus, queue: str) -> int:
    """Messages ready in ``queue`` (a passive declare: the queue must exist)."""
    channel = await bus.channel(confirms=False)
    try:
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        return int(declared.declaration_result.message_count or 0)
    finally:
        await channel.close()


class Probe(Event):
    TYPE = "test.probe.happened"
    seq: int


#: The test-only subscription (no service installs it); its consumer declares it when it starts.
PROBE = Subscription("probe", (Probe.TYPE,))


@dataclass
class HandlerControl:
    """Lets a test poison some messages (the handler raises for their ``seq``)."""

    poisoned: set[int] = field(default_factory=set)
    calls: int = 0
    error: type[Exception] = RuntimeError


async def _setup_schema() -> None:
    await drop_database(DB_URL)
    await ensure_database(DB_URL)
    db = Database(DB_URL)
    async with db.engine.begin() as conn:
        for statement in (*OUTBOX_DDL, *INBOX_DDL):
            await conn.execute(text(statement))
        await conn.execute(text("CREATE TABLE effects (event_id UUID NOT NULL, seq INTEGER NOT NULL)"))
    await db.dispose()


@pytest.fixture(scope="session")
async def schema() -> None:
    await _setup_schema()


@pytest.fixture
async def db(schema: None) -> AsyncIterator[Database]:
    database = Database(DB_URL)
    async with database.engine.begin() as conn:
        await conn.execute(text("TRUNCATE outbox, inbox, effects RESTART IDENTITY"))
    await delete_topology(TEST_AMQP_URL, PREFIX, max_attempts=3, retry_base_ms=50, also=[PROBE])
    await declare_topology(TEST_AMQP_URL, PREFIX, max_attempts=3, retry_base_ms=50)
    yield database
    await database.dispose()


@pytest.fixture
def control() -> HandlerControl:
    return HandlerControl()


def _make_handler(control: HandlerControl) -> Callable[[AsyncSession, Envelope], Awaitable[None]]:
    async def apply_probe(session: AsyncSession, event: Envelope) -> None:
        control.calls += 1
        probe = event.parse(Probe)
        await session.execute(
            text("INSERT INTO effects (event_id, seq) VALUES (:id, :seq)"), {"id": event.id, "seq": probe.seq}
        )
        if probe.seq in control.poisoned:
            raise control.error(f"poisoned message {probe.seq}")

    return apply_probe


class Kit:
    """Builders for the parts of a pipeline; a test wires and breaks them as it needs."""

    prefix = PREFIX
    probe_type = Probe.TYPE

    def __init__(self, db: Database, control: HandlerControl) -> None:
        self.db = db
        self.control = control

    def handlers(self) -> Handlers:
        """The probe subscription's handlers: one row in ``effects`` per application."""
        handlers = Handlers(PROBE.name)
        handlers.on(Probe)(_make_handler(self.control))
        return handlers

    def bus(self, url: str = TEST_AMQP_URL) -> EventBus:
        return EventBus(url, max_attempts=3, retry_base_ms=50, prefix=PREFIX)

    async def started_bus(self, url: str = TEST_AMQP_URL) -> EventBus:
        """A connected bus, with the probe subscription declared (as if its consumer had started once)."""
        bus = self.bus(url)
        bus.start()
        await bus.ready.wait()
        channel = await bus.channel(confirms=False)
        try:
            await declare_subscription(
                channel,
                PROBE.with_prefix(PREFIX),
                max_attempts=bus.max_attempts,
                retry_base_ms=bus.retry_base_ms,
            )
        finally:
            await channel.close()
        return bus

    def consumer(
        self, bus: EventBus, after_commit: AfterCommit | None = None, *, db: Database | None = None
    ) -> Consumer:
        """The probe consumer; ``db`` gives it its own database handle (e.g. through a proxy)."""
        return Consumer(
            db or self.db,
            bus,
            self.handlers(),
            after_commit=after_commit,
            probe_backoff=(0.1, 0.5),
        )

    def relay(
        self,
        bus: EventBus,
        *,
        poll_interval: float = 1.0,
        batch_size: int = 500,
        retention_hours: int = 72,
        inbox_retention_hours: int = 168,
        prune_batch_size: int = 5000,
    ) -> OutboxRelay:
        return OutboxRelay(
            self.db,
            bus,
            service="producer",
            poll_interval=poll_interval,
            batch_size=batch_size,
            retention=timedelta(hours=retention_hours),
            inbox_retention=timedelta(hours=inbox_retention_hours),
            prune_batch_size=prune_batch_size,
        )

    async def write_events(self, seqs: range | list[int]) -> list[uuid.UUID]:
        """One committed transaction per event, as separate requests would do."""
        ids = []
        for seq in seqs:
            async with self.db.session() as session, session.begin():
                ids.append((await add_event(session, Probe(seq=seq))).id)
        return ids

    async def count(self, sql: str) -> int:
        async with self.db.session() as session:
            return int((await session.execute(text(sql))).scalar_one())


@pytest.fixture
def kit(db: Database, control: HandlerControl) -> Kit:
    return Kit(db, control)

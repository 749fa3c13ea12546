"""A database outage delays the stream and dead-letters nothing; a real failure still backs off.

The consumer reaches PostgreSQL through the loopback proxy of ``common_testing``: cutting it drops
every connection and refuses new ones, as a PostgreSQL restart does. The producer's side (outbox
and relay) keeps its direct connection, so events go on arriving during the outage. The retry
schedule here is 3 attempts 50 ms apart: before the fix a one-second outage dead-lettered all.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from common.app import Runtime
from common.db import Database
from common.events import Envelope, Handlers
from common.events.bus import EventBus
from common.events.dlq import list_dead_letters
from common.events.topology import retry_delays_ms
from common.settings import ServiceSettings
from common_testing import TEST_AMQP_URL, TEST_REDIS_BASE, TcpProxy, eventually

from .conftest import DB_URL, PROBE, Probe, queue_depth

Kit = Any


async def test_a_database_outage_dead_letters_nothing_and_every_event_applies_once_after(
    kit: Kit,
) -> None:
    proxy = await TcpProxy("127.0.0.1", 5432).start()
    consumer_db = Database(proxy.url(DB_URL), pool_size=2)
    bus = await kit.started_bus()
    relay = kit.relay(bus, poll_interval=0.2)
    consumer = kit.consumer(bus, db=consumer_db)
    relay.start()
    consumer.start()
    sub = PROBE.with_prefix(kit.prefix)
    try:
        await kit.write_events(range(10))
        await eventually(lambda: _count_is(kit, "SELECT count(*) FROM effects", 10))  # flowing

        await proxy.cut()  # the consumer's database is gone
        await kit.write_events(range(10, 40))
        await eventually(lambda: _count_is(kit, "SELECT count(*) FROM outbox WHERE sent_at IS NULL", 0))
        # Every delivery is back in the work queue, untouched, while the database is away.
        await eventually(lambda: _ready_is(bus, sub.queue, 30), within=15)
        await asyncio.sleep(1.0)  # an outage twenty times the whole retry schedule
        assert await queue_depth(bus, sub.dlq) == 0
        assert not consumer.consuming.is_set()

        await proxy.restore()
        await eventually(lambda: _count_is(kit, "SELECT count(*) FROM effects", 40), within=20)
        assert await kit.count("SELECT count(DISTINCT seq) FROM effects") == 40  # each applied once
        assert await kit.count("SELECT count(*) FROM inbox") == 40
        assert await list_dead_letters(TEST_AMQP_URL, PROBE, prefix=kit.prefix) == []
        assert consumer.consuming.is_set()
    finally:
        await consumer.stop()
        await relay.stop()
        await bus.close()
        await proxy.close()
        await consumer_db.dispose()


async def _ready_is(bus: EventBus, queue: str, expected: int) -> bool:
    return await queue_depth(bus, queue) == expected


async def _count_is(kit: Kit, sql: str, expected: int) -> bool:
    return bool(await kit.count(sql) == expected)


async def test_an_error_that_only_looks_like_an_outage_is_retried_then_dead_lettered(kit: Kit) -> None:
    """The probe answers at once, so an ``OSError`` from the handler is its own failure: no stall."""
    kit.control.poisoned = {2}
    kit.control.error = OSError
    bus = await kit.started_bus()
    relay, consumer = kit.relay(bus, poll_interval=0.2), kit.consumer(bus)
    relay.start()
    consumer.start()
    try:
        await kit.write_events(range(5))
        dead = await eventually(lambda: list_dead_letters(TEST_AMQP_URL, PROBE, prefix=kit.prefix))
        assert [d["envelope"]["data"]["seq"] for d in dead] == [2]
        assert dead[0]["attempts"] == 3
        await eventually(lambda: _count_is(kit, "SELECT count(*) FROM inbox", 4))
    finally:
        await consumer.stop()
        await relay.stop()
        await bus.close()


def test_a_handler_failure_backs_off_over_minutes_before_it_is_dead_lettered() -> None:
    settings = ServiceSettings()
    delays = retry_delays_ms(settings.consumer_max_attempts, settings.consumer_retry_base_ms)
    assert sum(delays) >= 120_000
    assert len(set(delays)) == len(delays)  # one retry queue per delay: no head-of-line blocking


async def test_a_redis_outage_pauses_a_service_consumer_without_spending_attempts(kit: Kit) -> None:
    """A service's consumer (built by ``Runtime``) probes Redis as well as its database."""
    proxy = await TcpProxy("127.0.0.1", 6379).start()
    settings = ServiceSettings(
        environment="test",
        database_url=DB_URL,
        redis_url=proxy.url(f"{TEST_REDIS_BASE}/15"),
        amqp_url=TEST_AMQP_URL,
        events_prefix=kit.prefix,
        consumer_max_attempts=3,
        consumer_retry_base_ms=50,
    )
    runtime = Runtime(settings)

    async def count_in_redis(session: AsyncSession, event: Envelope) -> None:
        await runtime.redis.incr("test-common.outage")
        await session.execute(text("INSERT INTO effects (event_id, seq) VALUES (:id, 0)"), {"id": event.id})

    handlers = Handlers(PROBE.name)
    handlers.on(Probe)(count_in_redis)
    consumer = runtime.consume(handlers, probe_backoff=(0.1, 0.5))
    runtime.bus.start()
    relay = kit.relay(await kit.started_bus(), poll_interval=0.2)
    await runtime.redis.delete("test-common.outage")
    consumer.start()
    relay.start()
    sub = PROBE.with_prefix(kit.prefix)
    try:
        await proxy.cut()
        await kit.write_events(range(5))
        await eventually(lambda: _ready_is(runtime.bus, sub.queue, 5), within=15)
        assert not consumer.consuming.is_set()
        assert await queue_depth(runtime.bus, sub.dlq) == 0

        await proxy.restore()
        await eventually(lambda: _count_is(kit, "SELECT count(*) FROM effects", 5), within=20)
        assert await runtime.redis.get("test-common.outage") == "5"
        assert await list_dead_letters(TEST_AMQP_URL, PROBE, prefix=kit.prefix) == []
    finally:
        await consumer.stop()
        await relay.stop()
        await relay.bus.close()
        await runtime.bus.close()
        await runtime.redis.aclose()
        await runtime.db.dispose()
        await proxy.close()

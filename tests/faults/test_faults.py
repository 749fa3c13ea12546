"""Faults under load, on the fault suite's own stack: nothing acknowledged is lost, nothing applied twice.

Each test starts writers through the gateway, makes one fault while they write, takes it away,
lets the writers go on for a moment, then stops them and checks (``settle_and_check``): every
acknowledged post, vote and sign-up is stored; every producer's outbox matches its consumers'
inboxes (nothing lost, nothing unexpected, no effect twice); posts' vote counts equal the votes
stored; every request got a success or a clear JSON error within the client timeout. The answers
the writers saw are printed (``-s`` shows them).
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import aio_pika
import pytest

from common.events.topology import installed_subscriptions
from common_testing import TEST_AMQP_URL, eventually

#: The first test also starts the fault stack.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

#: How long the writers run before, during and after a fault (seconds).
BEFORE, DURING, AFTER = 1.5, 3.0, 1.5
#: A PostgreSQL restart as long as the issue's (seconds).
OUTAGE = 20.0


async def test_rabbitmq_restart_mid_load_delays_events_and_loses_none(
    fault_stack: Any, proxies: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    load.start()
    await asyncio.sleep(BEFORE)
    await proxies.call(proxies.amqp.cut())  # every service loses the broker at once
    acknowledged_before = len(load.posts)
    await asyncio.sleep(DURING)
    acknowledged_during = len(load.posts) - acknowledged_before
    await proxies.call(proxies.amqp.restore())
    await asyncio.sleep(AFTER)
    await settle_and_check(ledger, load, fault_stack)
    assert acknowledged_during > 0, "writes must not need the broker: the outbox holds their events"


async def test_redis_drop_and_restore_refuses_clearly_and_recovers(
    fault_stack: Any, proxies: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    load.start()
    await asyncio.sleep(BEFORE)
    await proxies.call(proxies.redis.cut())
    await asyncio.sleep(DURING)
    await proxies.call(proxies.redis.restore())
    acknowledged_at_restore = len(load.posts)
    await asyncio.sleep(AFTER + 1.0)
    await settle_and_check(ledger, load, fault_stack)
    assert len(load.posts) > acknowledged_at_restore, "writes resume once Redis is back"


async def test_posts_database_stall_delays_writes_and_loses_none(
    fault_stack: Any, proxies: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    load.start()
    await asyncio.sleep(BEFORE)
    await proxies.call(proxies.pg["posts"].pause())  # connections stay open; nothing moves
    await asyncio.sleep(DURING + 1.0)
    await proxies.call(proxies.pg["posts"].resume())
    acknowledged_at_resume = len(load.posts)
    await asyncio.sleep(AFTER)
    await settle_and_check(ledger, load, fault_stack)
    assert len(load.posts) > acknowledged_at_resume, "writes resume once the database answers again"


@pytest.mark.parametrize("service", ["posts", "votes", "worker"])
async def test_a_killed_service_restarts_and_loses_nothing(
    service: str, fault_stack: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    load.start()
    await asyncio.sleep(BEFORE)
    await asyncio.to_thread(fault_stack.stop, [service], sig=signal.SIGKILL)  # no shutdown, no goodbye
    await asyncio.sleep(DURING)
    await asyncio.to_thread(fault_stack.start, [service])
    await asyncio.to_thread(fault_stack.wait_ready, 60)
    await asyncio.sleep(AFTER)
    await settle_and_check(ledger, load, fault_stack)


async def _dead_lettered(prefix: str) -> dict[str, int]:
    """Messages in every ``<prefix><subscription>.dlq``, read straight from the broker."""
    connection = await aio_pika.connect(TEST_AMQP_URL, timeout=5)
    async with connection:
        channel = await connection.channel()
        depths = {}
        for sub in installed_subscriptions().values():
            queue = await channel.declare_queue(sub.with_prefix(prefix).dlq, durable=True, passive=True)
            depths[queue.name] = int(queue.declaration_result.message_count or 0)
    return depths


async def test_a_postgresql_restart_under_a_vote_load_dead_letters_nothing(
    fault_stack: Any, proxies: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    """PostgreSQL goes away for 20 s: every service's connections drop and new ones are refused.

    The stack retries a failing handler 8 times 100 ms to 6.4 s apart (``CONSUMER_RETRY_BASE_MS``),
    about 13 s in all, so an outage that counted attempts would dead-letter every event in flight.
    The consumers' databases go first, and the producers' once the load has had votes acknowledged
    meanwhile, so vote events are certainly waiting for posts while its database is away.
    """
    prefix = fault_stack.config.events_prefix
    load.start()
    await asyncio.sleep(BEFORE)
    consumers, producers = ("posts", "worker"), ("votes", "auth")
    try:
        for name in consumers:
            await proxies.call(proxies.pg[name].cut())
        votes_at_cut = len(load.votes)
        await eventually(lambda: _more(len(load.votes), votes_at_cut + 5), within=30)
        for name in producers:
            await proxies.call(proxies.pg[name].cut())
        await asyncio.sleep(OUTAGE)
        assert await _dead_lettered(prefix) == dict.fromkeys(await _dead_lettered(prefix), 0)
    finally:
        for name in (*consumers, *producers):
            await proxies.call(proxies.pg[name].restore())
    await asyncio.sleep(AFTER)
    await settle_and_check(ledger, load, fault_stack)  # vote counts equal the votes stored, per post
    depths = await _dead_lettered(prefix)
    assert depths == dict.fromkeys(depths, 0), depths


async def _more(value: int, at_least: int) -> bool:
    return value >= at_least

"""Nothing is lost when a producer publishes before its consumer ever started.

Every bus declares the system's subscriptions (``common/events/bindings.py``, generated from the
services' handler registries), so an event waits in the queue of a consumer that never ran. A
subscription not in that table yet (the probe here; a new consumer before ``make sdk``) is declared
by its consumer when it starts; until then the broker returns the event (published ``mandatory``,
routed to no queue), and the relay keeps it pending in the outbox (``UnroutableEvent``), retrying;
once the consumer has started, the next pass publishes it into the new queue.
"""

from __future__ import annotations

from typing import Any

import aiormq

from common.events import EventBus
from common.events.topology import system_subscriptions
from common_testing import eventually

from .conftest import PREFIX, PROBE

Kit = Any


async def _queue_exists(bus: EventBus, name: str) -> bool:
    channel = await bus.channel(confirms=False)
    try:
        await channel.declare_queue(name, durable=True, passive=True)
    except aiormq.exceptions.ChannelNotFoundEntity:
        return False
    await channel.close()
    return True


async def test_an_event_published_before_its_consumer_first_started_arrives_once_it_starts(kit: Kit) -> None:
    bus = kit.bus()  # not kit.started_bus(): nothing has declared the probe's queue
    bus.start()
    await bus.ready.wait()
    relay = kit.relay(bus, poll_interval=0.2)
    consumer = kit.consumer(bus)
    relay.start()
    try:
        assert not await _queue_exists(bus, PROBE.with_prefix(PREFIX).queue)
        await kit.write_events([1])
        # the broker returned it: the relay kept it pending and recorded why
        await eventually(
            lambda: kit.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts > 0"), within=15
        )
        assert await kit.count("SELECT count(*) FROM outbox WHERE last_error LIKE 'no queue is bound%'") == 1
        assert await kit.count("SELECT count(*) FROM effects") == 0

        consumer.start()  # declares its queue and bindings; the relay's next pass routes the event there
        await eventually(lambda: kit.count("SELECT count(*) FROM effects"), within=20)
        assert await _queue_exists(bus, PROBE.with_prefix(PREFIX).queue)
        await eventually(lambda: _sent(kit), within=10)
        assert await kit.count("SELECT count(*) FROM effects") == 1
    finally:
        await consumer.stop()
        await relay.stop()
        await bus.close()


async def _sent(kit: Kit) -> bool:
    return bool(await kit.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0)


async def test_a_consumer_declares_its_queue_retry_queues_and_dlq_and_again_on_restart(kit: Kit) -> None:
    bus = kit.bus()
    bus.start()
    await bus.ready.wait()
    consumer = kit.consumer(bus)
    sub = PROBE.with_prefix(PREFIX)
    names = [sub.queue, sub.dlq, *(sub.retry_queue(d) for d in consumer.delays)]
    try:
        assert [await _queue_exists(bus, name) for name in names] == [False] * len(names)
        consumer.start()
        await consumer.consuming.wait()
        assert [await _queue_exists(bus, name) for name in names] == [True] * len(names)
        await consumer.stop()
        consumer = kit.consumer(bus)  # a restart declares the same again: idempotent
        consumer.start()
        await consumer.consuming.wait()
    finally:
        await consumer.stop()
        await bus.close()


async def test_every_bus_declares_the_system_subscriptions_before_any_consumer_starts(kit: Kit) -> None:
    """``auth.user.deleted`` goes to posts and votes: posts' publish must wait in votes' queue even if
    votes never ran (the broker would return it only if NO queue took it)."""
    bus = kit.bus()
    bus.start()
    await bus.ready.wait()
    try:
        subscriptions = system_subscriptions()
        assert {s.name for s in subscriptions} >= {"auth", "posts", "votes", "worker-mail", "worker-media"}
        for sub in subscriptions:
            prefixed = sub.with_prefix(PREFIX)
            for queue in (prefixed.queue, prefixed.dlq):
                assert await _queue_exists(bus, queue), queue
    finally:
        await bus.close()

"""Proofs that the event backbone loses nothing and applies nothing twice (issue 3).

Everything runs against the real broker and a real database. Network faults are made with a
loopback TCP proxy between our processes and RabbitMQ: cutting it drops every AMQP connection and
refuses new ones, which is what producers and consumers see when the broker goes away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text

from common.events import Consumer, Envelope, Handlers
from common.events.bus import UnroutableEvent
from common.events.dlq import list_dead_letters, replay_dead_letters
from common_testing import TEST_AMQP_URL, TcpProxy, eventually
from common_testing.reconcile import Reconciliation, reconcile

from .conftest import PROBE, Probe, queue_depth

EFFECTS = "SELECT event_id FROM effects"
Kit = Any  # the conftest fixture; typed loosely so tests read plainly


async def _drained(kit: Kit, expected: int) -> bool:
    applied: int = await kit.count("SELECT count(*) FROM effects")
    pending: int = await kit.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    return applied >= expected and pending == 0


async def _check(kit: Kit) -> Reconciliation:
    return await reconcile(kit.db, kit.db, consumer_name="probe", types=[kit.probe_type], effects_sql=EFFECTS)


async def test_broker_outage_delays_events_and_loses_none(kit: Kit) -> None:
    proxy = await TcpProxy("127.0.0.1", 5672).start()
    producer_bus = await kit.started_bus(proxy.url(TEST_AMQP_URL))
    consumer_bus = await kit.started_bus(proxy.url(TEST_AMQP_URL))
    relay, consumer = kit.relay(producer_bus, poll_interval=0.2), kit.consumer(consumer_bus)
    relay.start()
    consumer.start()
    try:
        await kit.write_events(range(20))
        await eventually(lambda: _drained(kit, 20))

        await proxy.cut()  # the broker is gone for producer and consumer alike
        await kit.write_events(range(20, 120))  # every write still succeeds
        assert await kit.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 100

        await proxy.restore()  # no process restart: the connections recover by themselves
        await eventually(lambda: _drained(kit, 120), within=30)
        result = await _check(kit)
        assert result.produced == 120
        assert result.clean, result
    finally:
        await consumer.stop()
        await relay.stop()
        await producer_bus.close()
        await consumer_bus.close()
        await proxy.close()


async def test_crash_after_commit_before_ack_has_no_second_effect(kit: Kit) -> None:
    crashing_bus = await kit.started_bus()

    async def die_before_ack(_: object) -> None:
        # The effect is committed; now the process dies before it can acknowledge the message.
        assert crashing_bus.connection is not None
        await crashing_bus.connection.close()

    crashing = kit.consumer(crashing_bus, after_commit=die_before_ack)
    crashing.start()
    relay_bus = await kit.started_bus()
    relay = kit.relay(relay_bus)
    relay.start()
    survivor_bus = None
    try:
        await kit.write_events([1])
        await eventually(lambda: kit.count("SELECT count(*) FROM effects"))
        duplicates_before = _duplicates_seen(kit.probe_type)

        survivor_bus = await kit.started_bus()  # the restarted process
        survivor = kit.consumer(survivor_bus)
        survivor.start()
        queue = f"{kit.prefix}probe.events"
        await eventually(lambda: _is_zero(queue_depth(survivor_bus, queue)), within=15)
        await asyncio.sleep(0.3)
        assert await kit.count("SELECT count(*) FROM effects") == 1
        assert kit.control.calls == 1  # the redelivery was recognised by the inbox, not re-applied
        assert _duplicates_seen(kit.probe_type) == duplicates_before + 1  # and it did arrive
        assert await kit.count("SELECT count(*) FROM inbox") == 1
        await survivor.stop()
    finally:
        await relay.stop()
        await relay_bus.close()
        await crashing_bus.close()
        if survivor_bus is not None:
            await survivor_bus.close()


def _duplicates_seen(event_type: str) -> float:
    labels = {"service": "probe", "type": event_type, "outcome": "duplicate"}
    return REGISTRY.get_sample_value("events_consumed_total", labels) or 0.0


async def _is_zero(value: Any) -> bool:
    return bool(await value == 0)


async def _equals(value: Any, expected: int) -> bool:
    return bool(await value == expected)


async def test_poisoned_message_is_retried_then_dead_lettered_and_others_flow(kit: Kit) -> None:
    kit.control.poisoned = {3}
    bus = await kit.started_bus()
    relay, consumer = kit.relay(bus), kit.consumer(bus)
    relay.start()
    consumer.start()
    try:
        await kit.write_events(range(10))
        # The nine good messages are applied even though the fourth keeps failing.
        await eventually(lambda: _equals(kit.count("SELECT count(*) FROM effects WHERE seq <> 3"), 9))
        dead = await eventually(lambda: list_dead_letters(TEST_AMQP_URL, PROBE, prefix=kit.prefix), within=15)
        assert [d["envelope"]["data"]["seq"] for d in dead] == [3]
        assert dead[0]["attempts"] == 3
        assert "poisoned message 3" in dead[0]["error"]
        assert await kit.count("SELECT count(*) FROM effects WHERE seq = 3") == 0  # rolled back each time

        kit.control.poisoned.clear()  # the bug is fixed: replay the dead letter
        assert await replay_dead_letters(TEST_AMQP_URL, PROBE, prefix=kit.prefix) == 1
        await eventually(lambda: _equals(kit.count("SELECT count(*) FROM effects WHERE seq = 3"), 1))
        assert await list_dead_letters(TEST_AMQP_URL, PROBE, prefix=kit.prefix) == []
        result = await _check(kit)
        assert result.clean, result
    finally:
        await consumer.stop()
        await relay.stop()
        await bus.close()


async def test_two_relays_share_the_outbox_without_double_publishing(kit: Kit) -> None:
    buses = [await kit.started_bus() for _ in range(3)]
    relays = [kit.relay(buses[0], batch_size=20), kit.relay(buses[1], batch_size=20)]
    consumer = kit.consumer(buses[2])
    consumer.start()
    await kit.write_events(range(300))
    for relay in relays:
        relay.start()
    try:
        await eventually(lambda: _drained(kit, 300), within=30)
        await asyncio.sleep(0.5)  # a duplicate delivery would have arrived by now
        result = await _check(kit)
        assert result.produced == 300
        assert result.clean, result
        assert kit.control.calls == 300  # each event delivered once: the inbox never had to absorb one
    finally:
        await consumer.stop()
        for relay in relays:
            await relay.stop()
        for bus in buses:
            await bus.close()


async def test_relay_wakes_on_insert_without_waiting_for_the_poll(kit: Kit) -> None:
    bus = await kit.started_bus()
    relay, consumer = kit.relay(bus, poll_interval=60), kit.consumer(bus)  # polling alone: a minute
    relay.start()
    consumer.start()
    try:
        await asyncio.sleep(0.5)  # let the listener connect
        await kit.write_events([42])
        await eventually(lambda: _drained(kit, 1), within=5)
    finally:
        await consumer.stop()
        await relay.stop()
        await bus.close()


async def test_a_row_committed_during_a_relay_pass_is_not_left_for_the_poll(kit: Kit) -> None:
    """The wake-up that arrives while a pass runs (after its SELECT) must start another pass."""
    bus = await kit.started_bus()
    relay, consumer = kit.relay(bus, poll_interval=60), kit.consumer(bus)
    real_pass = relay.relay_once
    passes = 0

    async def pass_then_commit_another() -> int:
        nonlocal passes
        passes += 1
        sent: int = await real_pass()
        if passes == 1:  # too late for this pass's SELECT; its NOTIFY is delivered before we return
            await kit.write_events([2])
            await asyncio.sleep(0.3)
        return sent

    relay.relay_once = pass_then_commit_another
    consumer.start()
    await asyncio.sleep(0.3)
    await kit.write_events([1])
    relay.start()
    try:
        await eventually(lambda: _drained(kit, 2), within=5)
    finally:
        await consumer.stop()
        await relay.stop()
        await bus.close()


async def test_a_batch_is_acked_once_and_nothing_is_left_unacked(kit: Kit) -> None:
    """200 events consumed in batches, then the consumer's channel closes: nothing comes back."""
    bus = await kit.started_bus()
    relay, consumer = kit.relay(bus), kit.consumer(bus)
    await kit.write_events(range(200))
    while await relay.relay_once():
        pass
    duplicates_before = _duplicates_seen(kit.probe_type)
    consumer.start()
    try:
        await eventually(lambda: _drained(kit, 200), within=15)
    finally:
        await consumer.stop()  # an unacked delivery would be requeued now
    queue = f"{kit.prefix}probe.events"
    await asyncio.sleep(0.3)
    assert await queue_depth(bus, queue) == 0
    second = kit.consumer(bus)
    second.start()
    await asyncio.sleep(0.5)
    await second.stop()
    await bus.close()
    assert kit.control.calls == 200
    assert _duplicates_seen(kit.probe_type) == duplicates_before
    assert (await _check(kit)).clean


async def test_batched_handlers_get_runs_in_delivery_order_and_duplicates_apply_once(kit: Kit) -> None:
    calls: list[tuple[str, list[int]]] = []

    async def apply_run(_: Any, events: Sequence[Envelope]) -> None:
        calls.append(("batched", [e.data["seq"] for e in events]))

    async def apply_one(_: Any, event: Envelope) -> None:
        calls.append(("single", [event.data["seq"]]))

    batched, single = Handlers("probe"), Handlers("probe")
    batched.on_batch(Probe)(apply_run)
    single.on(Probe)(apply_one)
    consumer = Consumer(kit.db, kit.bus(), batched)
    other = Consumer(kit.db, kit.bus(), single)

    def probe(seq: int) -> Envelope:
        return Envelope(type=kit.probe_type, producer="test", data={"seq": seq})

    first, second, third = probe(1), probe(2), probe(3)
    outcomes = await consumer._apply_many([first, second, first, third])
    assert outcomes == ["ok", "ok", "duplicate", "ok"]
    assert calls == [("batched", [1, 2, 3])]
    # a redelivery of the whole batch is recognised by the inbox, and no handler runs
    assert await consumer._apply_many([first, second, third]) == ["duplicate"] * 3
    assert len(calls) == 1
    # a plain handler is called once per event, in order
    calls.clear()
    assert await other._apply_many([probe(4), probe(5)]) == ["ok", "ok"]
    assert calls == [("single", [4]), ("single", [5])]


async def test_a_relay_pass_takes_a_few_event_loop_turns_not_several_per_event(kit: Kit) -> None:
    """In a busy service every turn of the loop is slow, so a pass must not need one per message.

    Counted, not timed: a task standing in for request handlers (2 ms of work per turn, so the
    database and the broker answer within a turn, as they do in a busy service) counts the turns
    while one pass publishes 300 events. Through ``Exchange.publish`` per message it was about 3
    turns each, 900 in all; now it is a turn per wave of the write queue, about 70.
    """
    bus = await kit.started_bus()
    relay = kit.relay(bus)
    await kit.write_events(range(300))
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            turns += 1
            busy_until = time.perf_counter() + 0.002
            while time.perf_counter() < busy_until:
                pass
            await asyncio.sleep(0)

    counter = asyncio.create_task(count_turns())
    try:
        await asyncio.sleep(0)
        turns = 0
        assert await relay.relay_once() == 300
    finally:
        counter.cancel()
        await bus.close()
    assert turns < 300, turns


async def test_publishing_an_event_no_queue_is_bound_to_fails(kit: Kit) -> None:
    """Mandatory routing: the broker returns the message, and the publish raises."""
    bus = await kit.started_bus()
    try:
        with pytest.raises(UnroutableEvent) as refused:
            await bus.publish_many([("nobody.listens.to.this", b"{}", "m-1")])
        assert refused.value.routing_keys == ["nobody.listens.to.this"]
        await bus.publish_many([(kit.probe_type, b"{}", "m-2")])  # a bound type goes through
    finally:
        await bus.close()


async def test_the_relay_keeps_an_unroutable_event_pending(kit: Kit) -> None:
    bus = await kit.started_bus()
    relay = kit.relay(bus)
    try:
        await kit.write_events([1])
        async with kit.db.session() as session, session.begin():
            await session.execute(text("UPDATE outbox SET type = 'nobody.listens.to.this'"))
        with pytest.raises(UnroutableEvent):
            await relay.relay_once()
        assert await kit.count("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 1
        assert await kit.count("SELECT attempts FROM outbox") == 1
    finally:
        await bus.close()


async def test_sent_rows_are_pruned_after_retention(kit: Kit) -> None:
    relay = kit.relay(kit.bus(), retention_hours=1)
    await kit.write_events(range(3))
    async with kit.db.session() as session, session.begin():
        await session.execute(text("UPDATE outbox SET sent_at = now() - interval '2 hours' WHERE id <= 2"))
    assert await relay.prune() == 2
    assert await kit.count("SELECT count(*) FROM outbox") == 1


async def test_inbox_rows_are_pruned_after_retention(kit: Kit) -> None:
    relay = kit.relay(kit.bus(), inbox_retention_hours=24, prune_batch_size=2)
    async with kit.db.session() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO inbox (event_id, consumer, type, received_at)"
                " SELECT gen_random_uuid(), 'probe', 'test.probe.happened', now() - make_interval(hours => h)"
                " FROM unnest(ARRAY[1, 23, 25, 26, 30, 100, 200]) AS h"
            )
        )
    assert await relay.prune_inbox() == 5  # in batches of two: the last one short
    kept = await kit.count("SELECT count(*) FROM inbox WHERE received_at > now() - interval '24 hours'")
    assert kept == 2
    assert await kit.count("SELECT count(*) FROM inbox") == 2

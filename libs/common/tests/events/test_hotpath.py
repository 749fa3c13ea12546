"""Pins the aiormq internals ``common.events.hotpath`` relies on (aiormq 7.x, under aio-pika).

If an upgrade of aio-pika or aiormq changes one of them, this fails first, naming what moved; the
relay's batch publish must then be rewritten or return to aio-pika's public API (and the bench
figures in the hotpath's docstring measured again).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractRobustConnection
from aiormq import spec
from aiormq.abc import DeliveredMessage
from aiormq.channel import Channel

from common.events.hotpath import publish_confirmed
from common_testing import TEST_AMQP_URL

EXCHANGE = "test-hotpath.events"
QUEUE = "test-hotpath.bound"
BOUND = "test.hotpath.bound"


def test_basic_publish_takes_wait_mandatory_and_timeout() -> None:
    parameters = inspect.signature(Channel.basic_publish).parameters
    for name in ("exchange", "routing_key", "properties", "mandatory", "timeout", "wait"):
        assert name in parameters, f"aiormq Channel.basic_publish lost {name!r}"
    assert parameters["wait"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["wait"].default is True


@pytest.fixture
async def connection() -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(TEST_AMQP_URL, timeout=5)
    try:
        yield connection
    finally:
        await connection.close()


@pytest.fixture
async def channel(connection: AbstractRobustConnection) -> AsyncIterator[AbstractChannel]:
    """A confirming channel on an exchange with one bound queue, deleted afterwards."""
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, auto_delete=True)
    queue = await channel.declare_queue(QUEUE, auto_delete=False)
    await queue.purge()
    await queue.bind(exchange, routing_key=BOUND)
    try:
        yield channel
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await channel.exchange_delete(EXCHANGE)
        await channel.close()


async def test_the_underlay_channel_is_aiormqs_with_a_bounded_write_queue(channel: AbstractChannel) -> None:
    underlay = await channel.get_underlay_channel()
    assert isinstance(underlay, Channel)
    assert isinstance(underlay.write_queue, asyncio.Queue)
    # bounded: the relay sizes its waves by it (0 would mean unbounded, one wave for a batch)
    assert underlay.write_queue.maxsize > 2, underlay.write_queue.maxsize


async def test_publish_without_wait_is_confirmed_and_an_unroutable_mandatory_one_comes_back(
    channel: AbstractChannel,
) -> None:
    underlay = await channel.get_underlay_channel()
    assert isinstance(underlay, Channel)

    async def publish(routing_key: str, message_id: str) -> Any:
        return await underlay.basic_publish(
            b"{}",
            exchange=EXCHANGE,
            routing_key=routing_key,
            properties=spec.Basic.Properties(message_id=message_id, delivery_mode=2),
            mandatory=True,
            timeout=10,
            wait=False,
        )

    routed, returned = await asyncio.gather(
        publish(BOUND, "m-routed"), publish("test.hotpath.nobody", "m-lost")
    )
    assert isinstance(routed, spec.Basic.Ack)
    assert isinstance(returned, DeliveredMessage)  # confirmed, and handed back: routed nowhere
    assert isinstance(returned.delivery, spec.Basic.Return)
    assert returned.delivery.routing_key == "test.hotpath.nobody"


async def test_publish_confirmed_sends_a_batch_larger_than_the_write_queue_in_waves(
    channel: AbstractChannel,
) -> None:
    underlay = await channel.get_underlay_channel()
    assert isinstance(underlay, Channel)
    count = underlay.write_queue.maxsize * 3 + 1
    messages = [(BOUND, f'{{"n": {n}}}'.encode(), f"m-{n}") for n in range(count)]
    messages.append(("test.hotpath.nobody", b"{}", "m-lost"))
    unroutable = await publish_confirmed(
        channel, EXCHANGE, messages, headers=[{"n": str(n)} for n in range(count + 1)], publish_timeout=10
    )
    assert unroutable == ["test.hotpath.nobody"]
    queue = await channel.get_queue(QUEUE)
    received = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        received.append(message)
    assert [m.message_id for m in received] == [f"m-{n}" for n in range(count)]  # all, in order
    assert received[0].headers == {"n": "0"}
    assert received[0].delivery_mode == aio_pika.DeliveryMode.PERSISTENT

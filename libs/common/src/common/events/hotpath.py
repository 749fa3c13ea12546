"""The measured exception in common.events: the relay publishes through aiormq, below aio-pika.

House style is to use a library through its public API. The relay's batch publish is the one place
that reaches under aio-pika into its transport, aiormq (7.x), because the public way was measured
too slow where it matters, on a busy service:

- ``bench/README.md``, "What moved the numbers (2026-11-23)": votes -> posts with the real services
  under vote load went from p50 3,846 ms / p99 10,347 ms to p50 90 ms / p99 167 ms, "the relay
  publishes a batch in a few event-loop turns, not ~3 per message" (the runs:
  ``bench/results/2026-11-23-0b8ce846.md``, ``real: votes.vote.cast -> posts`` p99 10347.14 ms,
  relay alone 5777.3 events/s; ``bench/results/2026-11-23-7fddcf53.md``, p99 167.45 ms, relay alone
  8540.5 events/s).

What costs is not CPU but event-loop turns: while the service serves requests each turn takes
milliseconds, and through aio-pika's ``Exchange.publish`` every message held the channel lock across
turns (a batch of 500: about 1,500 turns, seconds of delay). Here no message waits for the socket to
drain (aiormq's ``basic_publish(..., wait=False)``) and the publishes are started in waves that fit
the connection's write queue (``aiormq.channel.Channel.write_queue``, a bounded ``asyncio.Queue``
shared with the consumers' acks), so nobody queues on the lock: a batch takes a turn per wave, then
one wait for all the confirmations. A message the broker returned (``mandatory``, routed to no queue)
resolves its confirmation as an ``aiormq.abc.DeliveredMessage`` instead of an ack.

What it relies on is pinned by ``libs/common/tests/events/test_hotpath.py`` (against the real broker);
``libs/common/tests/events/test_backbone.py`` counts the turns a batch takes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, cast

from aio_pika.abc import AbstractChannel
from aiormq import spec
from aiormq.abc import DeliveredMessage
from aiormq.channel import Channel

__all__ = ["publish_confirmed"]

#: Left free in the shared write queue for the consumers' acks.
_HEADROOM = 2


async def publish_confirmed(
    channel: AbstractChannel,
    exchange: str,
    messages: Sequence[tuple[str, bytes, str]],
    *,
    headers: Sequence[Mapping[str, str]] | None = None,
    publish_timeout: float,
) -> list[str]:
    """Publish persistent, ``mandatory`` ``(routing_key, body, message_id)`` messages on ``channel``
    (publisher confirms on) and wait for every confirmation; returns the routing keys of the messages
    the broker returned as unroutable. A negative confirmation or a failed publish raises;
    ``publish_timeout`` bounds each message's publish and confirmation.
    """
    # the concrete channel: its basic_publish takes ``wait`` (the abstract one does not say so)
    underlay = cast(Channel, await channel.get_underlay_channel())

    async def publish(routing_key: str, body: bytes, message_id: str, extra: Mapping[str, str]) -> Any:
        return await underlay.basic_publish(
            body,
            exchange=exchange,
            routing_key=routing_key,
            properties=spec.Basic.Properties(
                content_type="application/json",
                delivery_mode=2,  # persistent
                message_id=message_id,
                headers=dict(extra),
            ),
            mandatory=True,
            timeout=publish_timeout,
            wait=False,
        )

    maxsize = underlay.write_queue.maxsize
    wave = max(1, maxsize - _HEADROOM) if maxsize else max(1, len(messages))
    started: list[asyncio.Future[Any]] = []
    try:
        for first in range(0, len(messages), wave):
            if first:
                await asyncio.sleep(0)  # the connection's writer empties the queue meanwhile
            started += [
                asyncio.ensure_future(publish(*m, headers[first + i] if headers else {}))
                for i, m in enumerate(messages[first : first + wave])
            ]
        results = await asyncio.gather(*started, return_exceptions=True)
    finally:
        for future in started:
            future.cancel()  # only those still running (we were cancelled): no-op on done ones
    unroutable: list[str] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        if isinstance(result, DeliveredMessage):  # returned: confirmed, but routed nowhere
            unroutable.append(str(getattr(result.delivery, "routing_key", "?")))
    return unroutable

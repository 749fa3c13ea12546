"""The connection to RabbitMQ: robust (reconnects by itself), started in lifespan, never at import.

A service starts even while the broker is down: ``start()`` keeps trying in the background, writes
keep landing in the outbox, and the relay and consumers begin once the connection is up. aio-pika's
robust connection then restores channels and consumers after a broker restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, cast

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection
from aiormq import spec
from aiormq.abc import DeliveredMessage
from aiormq.channel import Channel

from common.events.topology import declare_exchange

__all__ = ["EventBus", "UnroutableEvent"]

log = logging.getLogger("common.events.bus")

OnReady = Callable[["EventBus"], Awaitable[None]]


class UnroutableEvent(Exception):
    """The broker confirmed a message but routed it to no queue: no subscription binds its type."""

    def __init__(self, routing_keys: list[str]) -> None:
        super().__init__(f"no queue is bound to {sorted(set(routing_keys))}")
        self.routing_keys = routing_keys


class EventBus:
    def __init__(
        self,
        url: str,
        *,
        max_attempts: int = 8,
        retry_base_ms: int = 2000,
        publish_timeout: float = 10.0,
        prefix: str = "",
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.max_attempts = max_attempts
        self.retry_base_ms = retry_base_ms
        self.publish_timeout = publish_timeout
        self.connection: AbstractRobustConnection | None = None
        self._publish_channel: AbstractChannel | None = None
        self.exchange: AbstractExchange | None = None
        self.ready = asyncio.Event()
        self._on_ready: list[OnReady] = []
        self._task: asyncio.Task[None] | None = None

    def on_ready(self, callback: OnReady) -> None:
        """Run ``callback`` once the first connection is up (consumers register this way)."""
        self._on_ready.append(callback)

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name="event-bus-connect")

    async def _connect_forever(self) -> None:
        delay = 0.5
        while True:
            try:
                self.connection = await aio_pika.connect_robust(self.url, timeout=5, reconnect_interval=1)
                self._publish_channel = await self.connection.channel(publisher_confirms=True)
                # only the exchange: each consumer declares its own queues and bindings
                self.exchange = await declare_exchange(self._publish_channel, prefix=self.prefix)
                break
            except Exception as exc:  # the broker may be down at start; keep trying
                log.warning("broker unreachable, retrying", extra={"error": str(exc), "delay_s": delay})
                if self.connection is not None:
                    with contextlib.suppress(Exception):
                        await self.connection.close()
                    self.connection = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        self.ready.set()
        for callback in self._on_ready:
            await callback(self)

    async def channel(self, *, prefetch: int = 0, confirms: bool = True) -> AbstractChannel:
        await self.ready.wait()
        assert self.connection is not None
        channel = await self.connection.channel(publisher_confirms=confirms)
        if prefetch:
            await channel.set_qos(prefetch_count=prefetch)
        return channel

    @property
    def connected(self) -> bool:
        return self.connection is not None and not self.connection.is_closed

    async def publish_many(
        self,
        messages: Sequence[tuple[str, bytes, str]],
        *,
        headers: Sequence[Mapping[str, str]] | None = None,
    ) -> None:
        """Publish persistent ``(routing_key, body, message_id)`` messages; return once all are confirmed.

        ``headers``: one mapping per message (the relay's W3C ``traceparent``), in the same order.

        Built for the relay's batches, where what costs is not CPU but event-loop turns: while the
        service is busy serving requests each turn takes milliseconds, and through aio-pika's
        ``Exchange.publish`` every message held the channel lock across turns (a batch of 500:
        about 1,500 turns, seconds of delay). Here no message waits for the socket to drain
        (aiormq's ``wait=False``) and they are started in waves that fit the connection's write
        queue, so nobody queues on the lock: a batch takes a turn per wave, then one wait for all
        the confirmations. A negative confirmation raises; so does a message the broker could not
        route (published ``mandatory``, it comes back when no queue is bound to its type):
        ``UnroutableEvent``, so the relay keeps the batch pending (``outbox_pending`` shows it)
        instead of marking an event nobody received as sent. Every type in ``EVENT_TYPES`` is
        handled by some installed subscription (a test checks it), so this means its consumer has
        not started yet (its queue is declared on its first start; docs/events.md, "Start order")
        or a topology that was tampered with.
        """
        if self.exchange is None or self._publish_channel is None or not self.connected:
            raise ConnectionError("broker not connected")
        # the concrete channel: its basic_publish takes ``wait`` (the abstract one does not say so)
        channel = cast(Channel, await self._publish_channel.get_underlay_channel())
        exchange = self.exchange.name

        async def publish(routing_key: str, body: bytes, message_id: str, extra: Mapping[str, str]) -> Any:
            return await channel.basic_publish(
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
                timeout=self.publish_timeout,
                wait=False,
            )

        # leave room in the (shared) write queue for the consumers' acks
        wave = max(1, channel.write_queue.maxsize - 2) if channel.write_queue.maxsize else len(messages)
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
        if unroutable:
            log.error("event routed to no queue", extra={"routing_keys": sorted(set(unroutable))})
            raise UnroutableEvent(unroutable)

    async def ping(self) -> None:
        if not self.connected:
            raise ConnectionError("broker not connected")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.connection is not None:
            await self.connection.close()

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

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractRobustConnection

from common.events.hotpath import publish_confirmed
from common.events.topology import declare_exchange, declare_subscription, system_subscriptions

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
                self.exchange = await declare_exchange(self._publish_channel, prefix=self.prefix)
                # every subscription of the system, so that what this service publishes before a
                # consumer's first start waits in that consumer's queue (its own consumers redeclare)
                for sub in system_subscriptions():
                    await declare_subscription(
                        self._publish_channel,
                        sub.with_prefix(self.prefix),
                        max_attempts=self.max_attempts,
                        retry_base_ms=self.retry_base_ms,
                    )
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

        Built for the relay's batches, through aiormq below aio-pika (``common.events.hotpath``:
        why, with the bench figures). A negative confirmation raises; so does a message the broker
        could not route (published ``mandatory``, it comes back when no queue is bound to its type):
        ``UnroutableEvent``, so the relay keeps the batch pending (``outbox_pending`` shows it)
        instead of marking an event nobody received as sent. Every type in ``EVENT_TYPES`` is
        handled by some installed subscription (a test checks it), so this means its consumer has
        not started yet (its queue is declared on its first start; docs/events.md, "Start order")
        or a topology that was tampered with.
        """
        if self.exchange is None or self._publish_channel is None or not self.connected:
            raise ConnectionError("broker not connected")
        unroutable = await publish_confirmed(
            self._publish_channel,
            self.exchange.name,
            messages,
            headers=headers,
            publish_timeout=self.publish_timeout,
        )
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

"""The broker topology: one topic exchange, and per subscription its queues and bindings.

A service's bus declares the exchange; each consumer declares its own subscription when it starts
(declarations are idempotent), derived from its handlers (``common.events.handlers.Handlers``): the
types it handles are exactly what its queue binds. An event published while no queue binds its
type comes back to the relay (publishes are ``mandatory``), which keeps it pending in the outbox
until some consumer of that type has started once: see docs/events.md, "Start order".

Per subscription ``name`` there are:
- ``<name>.events``: the work queue, bound to the exchange by event type;
- ``<name>.retry.<delay>ms``: one delay queue per retry level (fixed TTL, so no head-of-line blocking),
  dead-lettering back into ``<name>.events``;
- ``<name>.dlq``: where a message lands after its last attempt, to be inspected and replayed.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

__all__ = [
    "ENTRY_POINTS",
    "EXCHANGE",
    "Subscription",
    "declare_exchange",
    "declare_subscription",
    "installed_subscriptions",
    "retry_delays_ms",
]

#: The entry point group where each service package names its handler registries.
ENTRY_POINTS = "common.subscriptions"

EXCHANGE = "events"


@dataclass(frozen=True)
class Subscription:
    """``name`` is also the inbox's consumer key; ``prefix`` isolates a whole topology (tests)."""

    name: str
    types: tuple[str, ...]
    prefix: str = ""

    def with_prefix(self, prefix: str) -> Subscription:
        return Subscription(self.name, self.types, prefix)

    @property
    def queue(self) -> str:
        return f"{self.prefix}{self.name}.events"

    @property
    def dlq(self) -> str:
        return f"{self.prefix}{self.name}.dlq"

    def retry_queue(self, delay_ms: int) -> str:
        # Named by delay, so changing the back-off declares new queues instead of clashing.
        return f"{self.prefix}{self.name}.retry.{delay_ms}ms"


def retry_delays_ms(max_attempts: int, base_ms: int) -> list[int]:
    """Back-off before attempt 2, 3, ... ``max_attempts``: base, 2*base, 4*base, ..."""
    return [base_ms * 2**level for level in range(max(0, max_attempts - 1))]


async def declare_exchange(channel: AbstractChannel, *, prefix: str = "") -> AbstractExchange:
    return await channel.declare_exchange(f"{prefix}{EXCHANGE}", aio_pika.ExchangeType.TOPIC, durable=True)


async def declare_subscription(
    channel: AbstractChannel, sub: Subscription, *, max_attempts: int, retry_base_ms: int
) -> AbstractQueue:
    """``sub``'s work queue bound to its types, its retry queues and its dead-letter queue
    (``sub`` already carries its prefix; the exchange is declared too, so any order works).
    Returns the work queue."""
    exchange = await declare_exchange(channel, prefix=sub.prefix)
    queue = await channel.declare_queue(sub.queue, durable=True)
    for event_type in sub.types:
        await queue.bind(exchange, routing_key=event_type)
    await channel.declare_queue(sub.dlq, durable=True)
    for delay in retry_delays_ms(max_attempts, retry_base_ms):
        await channel.declare_queue(
            sub.retry_queue(delay),
            durable=True,
            arguments={
                "x-message-ttl": delay,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": sub.queue,
            },
        )
    return queue


def installed_subscriptions() -> dict[str, Subscription]:
    """Every subscription the installed service packages declare (entry points ``common.subscriptions``),
    by name. Loading one imports its service's handlers module."""
    found: dict[str, Subscription] = {}
    for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
        registry: Any = point.load()
        sub: Subscription = registry.subscription
        if sub.name != point.name:
            raise ValueError(f"entry point {point.name} ({point.value}) is subscription {sub.name}")
        found[sub.name] = sub
    return found

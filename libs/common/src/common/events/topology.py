"""The broker topology, written once: which consumer queue receives which event types.

Every service declares the WHOLE topology at start-up (declarations are idempotent), so an event
published before its consumer ever ran still lands in that consumer's durable queue.

Per subscription ``name`` there are:
- ``<name>.events``: the work queue, bound to the exchange by event type;
- ``<name>.retry.<delay>ms``: one delay queue per retry level (fixed TTL, so no head-of-line blocking),
  dead-lettering back into ``<name>.events``;
- ``<name>.dlq``: where a message lands after its last attempt, to be inspected and replayed.
"""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange

from common.events import schemas as s

__all__ = [
    "EXCHANGE",
    "SUBSCRIPTIONS",
    "Subscription",
    "declare_topology",
    "retry_delays_ms",
]

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


SUBSCRIPTIONS: dict[str, Subscription] = {
    sub.name: sub
    for sub in (
        Subscription("auth", (s.TokensCleanupRequested.TYPE,)),
        Subscription(
            "posts",
            (
                s.UserRegistered.TYPE,
                s.UserUpdated.TYPE,
                s.UserDeleted.TYPE,
                s.VoteCast.TYPE,
                s.VoteRetracted.TYPE,
                s.MediaProcessingStarted.TYPE,
                s.MediaProcessed.TYPE,
                s.MediaFailed.TYPE,
            ),
        ),
        Subscription(
            "votes",
            (
                s.PostCreated.TYPE,
                s.PostUpdated.TYPE,
                s.PostDeleted.TYPE,
                s.PostRestored.TYPE,
                s.UserDeleted.TYPE,
            ),
        ),
        # Two worker queues, so slow media work never delays e-mail.
        Subscription("worker-media", (s.MediaUploaded.TYPE,)),
        Subscription(
            "worker-mail",
            (s.UserRegistered.TYPE, s.PasswordResetRequested.TYPE, s.EmailVerificationRequested.TYPE),
        ),
    )
}


def retry_delays_ms(max_attempts: int, base_ms: int) -> list[int]:
    """Back-off before attempt 2, 3, ... ``max_attempts``: base, 2*base, 4*base, ..."""
    return [base_ms * 2**level for level in range(max(0, max_attempts - 1))]


async def declare_topology(
    channel: AbstractChannel, *, max_attempts: int, retry_base_ms: int, prefix: str = ""
) -> AbstractExchange:
    exchange = await channel.declare_exchange(
        f"{prefix}{EXCHANGE}", aio_pika.ExchangeType.TOPIC, durable=True
    )
    delays = retry_delays_ms(max_attempts, retry_base_ms)
    for sub in (base.with_prefix(prefix) for base in SUBSCRIPTIONS.values()):
        queue = await channel.declare_queue(sub.queue, durable=True)
        for event_type in sub.types:
            await queue.bind(exchange, routing_key=event_type)
        await channel.declare_queue(sub.dlq, durable=True)
        for delay in delays:
            await channel.declare_queue(
                sub.retry_queue(delay),
                durable=True,
                arguments={
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": sub.queue,
                },
            )
    return exchange

"""Consuming events: effect and inbox row in one transaction, ack only after commit.

For each delivery:
1. parse the envelope (unparseable: straight to the dead-letter queue, retrying cannot help);
2. in one transaction, insert ``(event_id, consumer)`` into the inbox and run the handler; an
   inbox row that already exists means the effect was committed before (a redelivery): skip it;
3. commit, then ack. A crash between commit and ack makes the broker redeliver; step 2 absorbs it.

Deliveries that arrive together are applied in batches: one transaction, one inbox statement (the
ids as arrays, so its plan is prepared once), handlers marked :class:`Batched` called once for a run
of their events, one ``after_commit`` call, and one ack (``multiple``) for the lot. That is what makes
a consumer keep up with thousands of events a second. If anything in a batch fails, the batch rolls
back and each of its messages is applied alone, so one poisoned message is retried by itself and the
others commit.
4. If the handler raises, the transaction rolls back and the message is republished to the
   retry queue of its attempt (a fixed delay, growing per attempt) with a confirmed publish, then
   acked; after the last attempt it goes to ``<name>.dlq`` with the error in its headers. Messages
   behind a failing one keep flowing meanwhile. The schedule is ``CONSUMER_MAX_ATTEMPTS`` and
   ``CONSUMER_RETRY_BASE_MS`` (by default 8 attempts, 2 s doubling to 128 s: about 4 minutes).
5. If instead a dependency is not answering (the error says the database or Redis is unreachable,
   a pool or statement timed out, the server is shutting down) and a probe confirms it, the
   failure is not the message's fault and counts as no attempt: the consumer cancels its
   subscription (the broker stops delivering), requeues the message and every delivery it holds
   (their attempt headers unchanged), probes the dependency with a growing back-off, and
   subscribes again once it answers. An outage therefore delays the stream; it dead-letters
   nothing. An error that only looks like an outage (the probe answers at once) is an ordinary
   failure, so a handler bug raising, say, ``OSError`` cannot stall the queue forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue
from pydantic import ValidationError
from sqlalchemy import Uuid, text
from sqlalchemy.ext.asyncio import AsyncSession

from common import telemetry
from common.db import Database
from common.errors import dependency_down
from common.events.bus import EventBus
from common.events.envelope import Envelope
from common.events.handlers import Batched, Handlers
from common.events.topology import EXCHANGE, Subscription, declare_subscription, retry_delays_ms
from common.logging import request_id_var
from common.metrics import EVENTS_CONSUMED

__all__ = ["ATTEMPT_HEADER", "AfterCommit", "Consumer", "Probe"]

log = logging.getLogger("common.events.consumer")

#: Runs once the effects of these events committed (cache invalidation, waking a worker).
AfterCommit = Callable[[Sequence[Envelope]], Awaitable[None]]
#: Raises unless the consumer's dependencies (its database, Redis) answer.
Probe = Callable[[], Awaitable[None]]
ATTEMPT_HEADER = "x-attempt"


#: The inbox claim for a whole batch: rows that already existed (redeliveries) are not returned.
_CLAIM = text(
    "INSERT INTO inbox (event_id, consumer, type)"
    " SELECT u.event_id, :consumer, u.type"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:types AS varchar[])) AS u(event_id, type)"
    " ON CONFLICT DO NOTHING RETURNING event_id"
).columns(event_id=Uuid)


class _DependencyDown(Exception):
    """A delivery failed because a dependency is down; its messages were requeued."""


def _attempt(message: AbstractIncomingMessage) -> int:
    raw = (message.headers or {}).get(ATTEMPT_HEADER, 1)
    return raw if isinstance(raw, int) and raw > 0 else 1


class Consumer:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        handlers: Handlers,
        *,
        prefetch: int = 64,
        after_commit: AfterCommit | None = None,
        batch_size: int = 64,
        linger: float = 0.002,
        probe: Probe | None = None,
        probe_timeout: float = 5.0,
        probe_backoff: tuple[float, float] = (0.5, 10.0),
    ) -> None:
        self.db = db
        self.bus = bus
        #: Its queue binds exactly the types it handles.
        self.sub: Subscription = handlers.subscription.with_prefix(bus.prefix)
        self.handlers = handlers.mapping
        self.prefetch = prefetch
        self.after_commit = after_commit
        self.delays = retry_delays_ms(bus.max_attempts, bus.retry_base_ms)
        self.batch_size = batch_size
        self.linger = linger
        self._channel: AbstractChannel | None = None
        self._buffer: list[AbstractIncomingMessage] = []
        self._pending = asyncio.Event()
        self._flusher: asyncio.Task[None] | None = None
        self.probe: Probe = probe or db.ping
        self.probe_timeout = probe_timeout
        self.probe_backoff = probe_backoff
        self._queue: AbstractQueue | None = None
        self._consumer_tag: str | None = None
        #: Set while deliveries are taken; cleared while a dependency is down.
        self.consuming = asyncio.Event()

    def start(self) -> None:
        """Begin consuming as soon as the broker is reachable (now, or when it comes back)."""
        self.bus.on_ready(self._start_consuming)
        if self.bus.ready.is_set():
            asyncio.get_running_loop().create_task(self._start_consuming(self.bus))

    async def _start_consuming(self, bus: EventBus) -> None:
        self._channel = await bus.channel(prefetch=self.prefetch, confirms=True)
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_forever())
        # Its own queue, bindings, retry queues and dlq (idempotent): from now on its types are routed
        # here, and what the producers' relays held back as unroutable is published on their next pass.
        self._queue = await declare_subscription(
            self._channel, self.sub, max_attempts=bus.max_attempts, retry_base_ms=bus.retry_base_ms
        )
        self._consumer_tag = await self._queue.consume(self._collect)
        self.consuming.set()

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()

    async def _collect(self, message: AbstractIncomingMessage) -> None:
        self._buffer.append(message)
        self._pending.set()

    async def _flush_forever(self) -> None:
        while True:
            await self._pending.wait()
            if len(self._buffer) < self.batch_size:
                await asyncio.sleep(self.linger)  # let a burst gather into one batch
            batch, self._buffer = self._buffer[: self.batch_size], self._buffer[self.batch_size :]
            if not self._buffer:
                self._pending.clear()
            try:
                await self.on_batch(batch)
            except _DependencyDown as exc:
                await self._pause_until_answering(exc.__cause__ or exc)
            except Exception:  # unacked messages return to the queue when the channel closes
                log.exception("event batch failed")

    async def _is_down(self, exc: BaseException) -> bool:
        """The error says a dependency is not answering, and a probe agrees."""
        if not dependency_down(exc):
            return False
        try:
            async with asyncio.timeout(self.probe_timeout):
                await self.probe()
        except Exception:
            return True
        return False

    async def _pause_until_answering(self, cause: BaseException) -> None:
        """Stop deliveries, requeue what we hold, probe with back-off, then consume again."""
        log.warning(
            "dependency down: consumer paused", extra={"consumer": self.sub.name, "error": repr(cause)[:300]}
        )
        self.consuming.clear()
        if self._queue is not None and self._consumer_tag is not None:
            with contextlib.suppress(Exception):  # a closed channel delivers nothing anyway
                await self._queue.cancel(self._consumer_tag)
            self._consumer_tag = None
        await self._requeue_buffer()
        delay, cap = self.probe_backoff
        while True:
            await asyncio.sleep(delay)
            try:
                async with asyncio.timeout(self.probe_timeout):
                    await self.probe()
                break
            except Exception as exc:
                log.info("dependency still down", extra={"consumer": self.sub.name, "error": repr(exc)[:200]})
                delay = min(delay * 2, cap)
        await self._requeue_buffer()  # deliveries that were in flight when we cancelled
        while self._queue is not None:
            try:
                self._consumer_tag = await self._queue.consume(self._collect)
                break
            except Exception as exc:  # the broker went away meanwhile: try again
                log.warning(
                    "could not resume consuming", extra={"consumer": self.sub.name, "error": repr(exc)}
                )
                await asyncio.sleep(cap)
        self.consuming.set()
        log.warning("dependency answers again: consumer resumed", extra={"consumer": self.sub.name})

    async def _requeue_buffer(self) -> None:
        held, self._buffer = self._buffer, []
        self._pending.clear()
        for message in held:
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)

    async def on_batch(self, messages: list[AbstractIncomingMessage]) -> None:
        if not telemetry.enabled:
            await self._on_batch(messages)
            return
        # One CONSUMER span for the batch, linked to each message's publish (deliveries are batched,
        # so no single parent); the handlers' database work happens inside it, as its children.
        attributes: dict[str, str | int] = {
            "messaging.system": "rabbitmq",
            "messaging.operation.type": "process",
            "messaging.operation.name": "process",
            "messaging.destination.name": f"{self.sub.prefix}{EXCHANGE}",
            "messaging.consumer.group.name": self.sub.queue,
            "messaging.batch.message_count": len(messages),
        }
        keys = {m.routing_key for m in messages if m.routing_key}
        if len(keys) == 1:
            attributes["messaging.rabbitmq.destination.routing_key"] = keys.pop()
        if len(messages) == 1 and messages[0].message_id:
            attributes["messaging.message.id"] = messages[0].message_id
        with telemetry.tracer.start_as_current_span(
            f"process {self.sub.queue}",
            kind=telemetry.SpanKind.CONSUMER,
            links=telemetry.links_to(m.headers for m in messages),
            attributes=attributes,
        ):
            await self._on_batch(messages)

    async def _on_batch(self, messages: list[AbstractIncomingMessage]) -> None:
        parsed: list[tuple[AbstractIncomingMessage, Envelope]] = []
        for message in messages:
            try:
                parsed.append((message, Envelope.model_validate_json(message.body)))
            except ValidationError as exc:
                await self._dead_letter(
                    message, "?", _attempt(message), f"unparseable envelope: {exc.errors()[:1]}"
                )
        if len(parsed) > 1:
            try:
                outcomes = await self._apply_many([envelope for _, envelope in parsed])
            except Exception as exc:
                if await self._is_down(exc):
                    for message, _ in parsed:
                        await message.nack(requeue=True)
                    raise _DependencyDown from exc
                outcomes = None  # something in the batch failed: apply each alone to isolate it
            if outcomes is not None:
                # Every earlier delivery on this channel is settled (batches run one at a time, in
                # order), so one ack with ``multiple`` settles this batch.
                await parsed[-1][0].ack(multiple=True)
                counts = Counter(
                    (envelope.type, outcome) for (_, envelope), outcome in zip(parsed, outcomes, strict=True)
                )
                for (event_type, outcome), n in counts.items():
                    EVENTS_CONSUMED.labels(self.sub.name, event_type, outcome).inc(n)
                return
        for i, (message, envelope) in enumerate(parsed):
            try:
                await self.on_message(message, envelope)
            except _DependencyDown:
                for later, _ in parsed[i + 1 :]:
                    await later.nack(requeue=True)
                raise

    async def on_message(self, message: AbstractIncomingMessage, envelope: Envelope) -> None:
        """Apply one delivery (its envelope parsed by ``_on_batch``); raises ``_DependencyDown``
        (after requeueing it) if a dependency is down."""
        attempt = _attempt(message)
        token = request_id_var.set(envelope.correlation_id)
        try:
            outcome = (await self._apply_many([envelope]))[0]
        except Exception as exc:
            if await self._is_down(exc):
                await message.nack(requeue=True)  # no attempt spent: the message did nothing wrong
                raise _DependencyDown from exc
            log.warning(
                "event handler failed",
                extra={
                    "event_id": str(envelope.id),
                    "type": envelope.type,
                    "attempt": attempt,
                    "error": repr(exc)[:300],
                },
            )
            await self._retry_or_dead_letter(message, envelope.type, attempt, repr(exc))
            return
        finally:
            request_id_var.reset(token)
        await message.ack()
        EVENTS_CONSUMED.labels(self.sub.name, envelope.type, outcome).inc()

    async def _apply_many(self, envelopes: list[Envelope]) -> list[str]:
        """Apply events in one transaction; any failure rolls all of it back (the caller isolates).

        Returns each event's outcome: ``ok``, ``ignored`` (no handler for its type) or ``duplicate``
        (its inbox row existed: a redelivery, or the same event twice in the batch).
        """
        outcomes: list[str] = []
        fresh: list[Envelope] = []
        async with self.db.session() as session:
            claimed = set(
                (
                    await session.execute(
                        _CLAIM,
                        {
                            "consumer": self.sub.name,
                            "ids": [e.id for e in envelopes],
                            "types": [e.type for e in envelopes],
                        },
                    )
                ).scalars()
            )
            for envelope in envelopes:
                if envelope.id not in claimed:
                    outcomes.append("duplicate")
                    continue
                claimed.discard(envelope.id)  # the same event twice in one batch applies once
                fresh.append(envelope)
                outcomes.append("ok" if envelope.type in self.handlers else "ignored")
            await self._run_handlers(session, fresh)
            await session.commit()
        if fresh:
            await self._after_commit(fresh)
        return outcomes

    async def _run_handlers(self, session: AsyncSession, envelopes: list[Envelope]) -> None:
        """Each event's handler, in delivery order; a ``Batched`` one once per run of its events."""
        i = 0
        while i < len(envelopes):
            handler = self.handlers.get(envelopes[i].type)
            if isinstance(handler, Batched):
                j = i + 1
                while j < len(envelopes) and self.handlers.get(envelopes[j].type) is handler:
                    j += 1
                await handler.apply(session, envelopes[i:j])
                i = j
                continue
            if handler is not None:
                token = request_id_var.set(envelopes[i].correlation_id)
                try:
                    await handler(session, envelopes[i])
                finally:
                    request_id_var.reset(token)
            i += 1

    async def _after_commit(self, envelopes: Sequence[Envelope]) -> None:
        if self.after_commit is None:
            return
        try:
            await self.after_commit(envelopes)
        except Exception as exc:  # a cache refresh must not turn a committed effect into a retry
            log.warning("after-commit hook failed", extra={"error": repr(exc)[:300]})

    async def _retry_or_dead_letter(
        self, message: AbstractIncomingMessage, event_type: str, attempt: int, error: str
    ) -> None:
        if attempt > len(self.delays):
            await self._dead_letter(message, event_type, attempt, error)
            return
        await self._forward(
            message,
            self.sub.retry_queue(self.delays[attempt - 1]),
            {
                ATTEMPT_HEADER: attempt + 1,
                "x-last-error": error[:500],
            },
        )
        EVENTS_CONSUMED.labels(self.sub.name, event_type, "retried").inc()

    async def _dead_letter(
        self, message: AbstractIncomingMessage, event_type: str, attempt: int, error: str
    ) -> None:
        log.error("event dead-lettered", extra={"type": event_type, "attempt": attempt, "error": error[:300]})
        await self._forward(message, self.sub.dlq, {ATTEMPT_HEADER: attempt, "x-last-error": error[:500]})
        EVENTS_CONSUMED.labels(self.sub.name, event_type, "dead_lettered").inc()

    async def _forward(self, message: AbstractIncomingMessage, queue: str, headers: dict[str, Any]) -> None:
        """Move the message to ``queue`` (confirmed), then ack it; if the move fails, requeue it."""
        assert self._channel is not None
        copy = aio_pika.Message(
            message.body,
            message_id=message.message_id,
            content_type=message.content_type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            headers={**(message.headers or {}), **headers},
        )
        try:
            await self._channel.default_exchange.publish(copy, routing_key=queue, timeout=10)
        except Exception:
            log.exception("could not move message, requeueing it")
            await message.nack(requeue=True)
            await asyncio.sleep(0.5)
            return
        await message.ack()

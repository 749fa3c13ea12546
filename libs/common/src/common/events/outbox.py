"""Producing events: a row in the same transaction as the change, and the relay that ships it.

The relay claims pending rows with ``FOR UPDATE SKIP LOCKED`` (so replicas share the work without
publishing a row twice at once), publishes them with publisher confirms, and marks them sent in the
same transaction. If the broker refuses or never confirms, the transaction rolls back and the rows
stay pending for the next pass: a broker outage delays events, it never loses them. A publish that
was confirmed but whose ``UPDATE`` failed is republished later; consumers' inboxes absorb that.

Housekeeping (every 15 s) refreshes the outbox gauges and deletes rows sent longer ago than
``OUTBOX_RETENTION_HOURS`` (72 h); every ``INBOX_PRUNE_INTERVAL_SECONDS`` (1 h) it also deletes inbox
rows older than ``INBOX_RETENTION_HOURS`` (168 h), in bounded batches. An inbox row only has to
outlive any redelivery of its event: a crash between commit and ack (redelivered at once), or a
producer's confirmed publish whose ``sent_at`` update was lost (republished on the producer's next
relay pass). A dead-lettered event never committed its inbox row, so replaying it later is safe
whatever the retention. Keep ``INBOX_RETENTION_HOURS`` well above ``OUTBOX_RETENTION_HOURS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from opentelemetry import propagate, trace
from opentelemetry.trace import Span
from sqlalchemy import Text, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from common import telemetry
from common.db import Database, asyncpg_dsn
from common.events.bus import EventBus
from common.events.envelope import Envelope, Event
from common.events.tables import OUTBOX_CHANNEL, outbox
from common.logging import request_id_var
from common.metrics import EVENTS_CONFIRMED, EVENTS_PUBLISHED, OUTBOX_OLDEST_AGE, OUTBOX_PENDING

__all__ = ["OutboxRelay", "add_event", "add_events", "outbox_row"]

log = logging.getLogger("common.events.outbox")


def _wrapped(event: Event) -> tuple[Envelope, dict[str, Any]]:
    envelope = Envelope.wrap(event, correlation_id=request_id_var.get())
    return envelope, {
        "event_id": envelope.id,
        "type": envelope.type,
        "envelope": envelope.model_dump(mode="json"),
        "trace_context": telemetry.current_carrier(),
    }


def outbox_row(event: Event) -> dict[str, Any]:
    """The outbox columns of ``event``, for a caller that writes its change and the row in one
    statement (the row must still commit in the same transaction as the change)."""
    return _wrapped(event)[1]


async def add_event(session: AsyncSession, event: Event) -> Envelope:
    """Record ``event`` in the outbox inside the caller's transaction (it commits with the change).

    Its envelope's ``producer`` is the type's first word. With the current trace context, so the
    relay's publish and the consumers join the request's trace.
    """
    envelope, row = _wrapped(event)
    await session.execute(insert(outbox).values(row))
    return envelope


async def add_events(session: AsyncSession, events: Sequence[Event]) -> None:
    """``add_event`` for many at once: one multi-row insert into the outbox (the caller bounds it)."""
    if not events:
        return
    rows = [_wrapped(event)[1] for event in events]
    await session.execute(insert(outbox).values(rows))


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        bus: EventBus,
        *,
        service: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        retention: timedelta = timedelta(hours=72),
        inbox_retention: timedelta = timedelta(hours=168),
        inbox_prune_interval: float = 3600.0,
        prune_batch_size: int = 5000,
    ) -> None:
        self.db = db
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.retention = retention
        self.inbox_retention = inbox_retention
        self.inbox_prune_interval = inbox_prune_interval
        self.prune_batch_size = prune_batch_size
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen_forever(), name="outbox-listen"),
            asyncio.create_task(self._relay_forever(), name="outbox-relay"),
            asyncio.create_task(self._housekeeping_forever(), name="outbox-housekeeping"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen_forever(self) -> None:
        """LISTEN for inserts so events leave promptly; polling covers any notification lost."""
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.db.url), timeout=5)
                await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
                self._wake.set()  # rows may have arrived while we were not listening
                while not conn.is_closed():
                    await asyncio.sleep(5)
                    await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox listener lost, reconnecting", extra={"error": str(exc)})
                await asyncio.sleep(1)
            finally:
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close()

    async def _relay_forever(self) -> None:
        await self.bus.ready.wait()
        failures = 0
        while True:
            # Cleared before the pass, not after: a row committed while the pass runs (too late for
            # its SELECT) sets the flag again, so the next pass starts at once instead of at the poll.
            self._wake.clear()
            try:
                sent = await self.relay_once()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(0.25 * 2**failures, 10.0)
                log.warning("outbox relay pass failed", extra={"error": str(exc), "retry_in_s": delay})
                await asyncio.sleep(delay)
                continue
            if sent >= self.batch_size:
                continue  # more waiting: go again at once
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; returns how many were confirmed and marked sent."""
        async with self.db.session() as session, session.begin():
            rows = (
                await session.execute(
                    # the stored JSON as text: it is published as is, never decoded and encoded again
                    select(
                        outbox.c.id,
                        outbox.c.event_id,
                        outbox.c.type,
                        outbox.c.envelope.cast(Text),
                        outbox.c.trace_context,
                    )
                    .where(outbox.c.sent_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0
            spans = self._publish_spans(rows) if telemetry.enabled else None
            try:
                for r in rows:
                    EVENTS_PUBLISHED.labels(self.service, r.type).inc()
                await self.bus.publish_many(
                    [(r.type, r.envelope.encode(), str(r.event_id)) for r in rows],
                    headers=spans.headers if spans else None,
                )
            except Exception as exc:
                if spans:
                    spans.end(exc)
                await session.rollback()
                await self._record_failure([r.id for r in rows], exc)
                raise
            await session.execute(
                update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(sent_at=func.now())
            )
        if spans:
            spans.end(None)
        for r in rows:
            EVENTS_CONFIRMED.labels(self.service, r.type).inc()
        return len(rows)

    def _publish_spans(self, rows: Sequence[Any]) -> _PublishSpans:
        exchange = self.bus.exchange.name if self.bus.exchange is not None else ""
        return _PublishSpans(exchange, [(r.type, str(r.event_id), r.trace_context) for r in rows])

    async def _record_failure(self, ids: list[int], exc: Exception) -> None:
        with contextlib.suppress(Exception):
            async with self.db.session() as session, session.begin():
                await session.execute(
                    update(outbox)
                    .where(outbox.c.id.in_(ids))
                    .values(attempts=outbox.c.attempts + 1, last_error=str(exc)[:500])
                )

    async def _housekeeping_forever(self) -> None:
        inbox_due = 0.0
        while True:
            try:
                await self.refresh_metrics()
                await self.prune()
                if asyncio.get_running_loop().time() >= inbox_due:
                    pruned = await self.prune_inbox()
                    if pruned:
                        log.info("inbox pruned", extra={"rows": pruned})
                    inbox_due = asyncio.get_running_loop().time() + self.inbox_prune_interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox housekeeping failed", extra={"error": str(exc)})
            await asyncio.sleep(15)

    async def refresh_metrics(self) -> None:
        async with self.db.session() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.sent_at.is_(None))
                )
            ).one()
        OUTBOX_PENDING.labels(self.service).set(count)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self.service).set(age)

    async def prune(self) -> int:
        """Delete rows sent longer ago than the retention period."""
        cutoff = datetime.now(UTC) - self.retention
        async with self.db.session() as session, session.begin():
            result = await session.execute(
                delete(outbox).where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < cutoff)
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def prune_inbox(self) -> int:
        """Delete inbox rows received longer ago than the inbox retention, a batch per transaction."""
        cutoff = datetime.now(UTC) - self.inbox_retention
        total = 0
        while True:
            async with self.db.session() as session, session.begin():
                result = await session.execute(_PRUNE_INBOX, {"cutoff": cutoff, "n": self.prune_batch_size})
            deleted = int(result.rowcount or 0)  # type: ignore[attr-defined]
            total += deleted
            if deleted < self.prune_batch_size:
                return total


class _PublishSpans:
    """A PRODUCER span per published row, child of the context its writer stored with it.

    Each message's ``traceparent`` header names its span, so the consumer links to the publish,
    and through it to the request that wrote the event. Ended when the broker confirmed the batch.
    """

    def __init__(self, exchange: str, rows: Sequence[tuple[str, str, dict[str, str] | None]]) -> None:
        self.spans: list[Span] = []
        self.headers: list[dict[str, str]] = []
        for routing_key, event_id, carrier in rows:
            span = telemetry.tracer.start_span(
                f"publish {exchange}",
                context=telemetry.context_of(carrier),
                kind=telemetry.SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "rabbitmq",
                    "messaging.operation.type": "send",
                    "messaging.operation.name": "publish",
                    "messaging.destination.name": exchange,
                    "messaging.rabbitmq.destination.routing_key": routing_key,
                    "messaging.message.id": event_id,
                },
            )
            self.spans.append(span)
            headers: dict[str, str] = {}
            propagate.inject(headers, context=trace.set_span_in_context(span))
            self.headers.append(headers)

    def end(self, error: BaseException | None) -> None:
        for span in self.spans:
            if error is not None and span.is_recording():
                span.record_exception(error)
                span.set_status(trace.StatusCode.ERROR, type(error).__name__)
            span.end()


#: One bounded batch (the inbox has no index on ``received_at``: a pass is one scan per batch).
_PRUNE_INBOX = text(
    "DELETE FROM inbox WHERE ctid = ANY(ARRAY(SELECT ctid FROM inbox WHERE received_at < :cutoff LIMIT :n))"
)

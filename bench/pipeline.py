"""The event pipeline: outbox row -> relay -> RabbitMQ -> consumer commit, measured two ways.

1. With the real services (:func:`real_pipeline`): the vote scenario casts thousands of votes; each
   writes a ``votes.vote.cast`` outbox row in votes' database and, once posts' consumer has applied
   it, an inbox row in posts' database. Both databases are on the same PostgreSQL server, so one
   clock stamps both: latency = ``inbox.received_at`` - ``outbox.created_at`` (each is its
   transaction's start, ``now()``; the inbox row is the consumer transaction's first statement).
2. In-process (:func:`in_process`): ``common.events``' own ``OutboxRelay`` and ``Consumer`` on a
   scratch database ``bench_events`` with the event prefix ``bench-events.``. Outbox rows are written
   in batches; per event, latency = consumer commit (the ``after_commit`` hook) - envelope
   ``occurred_at``. A burst phase (all rows as fast as they can be written) gives the sustained
   events/s; a paced phase (a steady rate, default 2,000/s) gives latency when the pipeline keeps up.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.stackctl import Target
from common.db import Database, asyncpg_dsn
from common.dbtools import drop_database, ensure_database
from common.events import (
    INBOX_DDL,
    OUTBOX_DDL,
    Consumer,
    Envelope,
    Event,
    EventBus,
    Handlers,
    OutboxRelay,
    outbox,
)
from common.events.topology import declare_subscription
from common_testing import delete_topology

__all__ = ["in_process", "percentiles", "real_pipeline"]

EVENTS_DB = "bench_events"
EVENTS_PREFIX = "bench-events."
PROBE_SUBSCRIPTION = "bench-probe"


class BenchProbe(Event):
    TYPE = "bench.probe.happened"
    seq: int


def percentiles(values: list[float], points: tuple[float, ...] = (50, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles of ``values`` (milliseconds in, milliseconds out), plus max."""
    if not values:
        return {f"p{p:g}_ms": 0.0 for p in points} | {"max_ms": 0.0}
    ordered = sorted(values)
    out = {}
    for p in points:
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        out[f"p{p:g}_ms"] = round(ordered[rank], 2)
    out["max_ms"] = round(ordered[-1], 2)
    return out


# --- 1. the real services ------------------------------------------------------------------------


async def real_pipeline(target: Target, since: datetime, until: datetime) -> dict[str, Any]:
    """``votes.vote.cast`` events written between ``since`` and ``until`` and their arrival in posts."""
    votes = await asyncpg.connect(asyncpg_dsn(target.database_url("votes")), timeout=5)
    try:
        produced = await votes.fetch(
            "SELECT event_id, created_at FROM outbox"
            " WHERE type = 'votes.vote.cast' AND created_at >= $1 AND created_at <= $2",
            since,
            until,
        )
    finally:
        await votes.close()
    posts = await asyncpg.connect(asyncpg_dsn(target.database_url("posts")), timeout=5)
    try:
        consumed = await posts.fetch(
            "SELECT event_id, received_at FROM inbox"
            " WHERE consumer = 'posts' AND type = 'votes.vote.cast' AND received_at >= $1",
            since,
        )
    finally:
        await posts.close()
    arrived = {row["event_id"]: row["received_at"] for row in consumed}
    latencies, first, last = [], None, None
    for row in produced:
        received = arrived.get(row["event_id"])
        if received is None:
            continue
        latencies.append((received - row["created_at"]).total_seconds() * 1000)
        first = row["created_at"] if first is None else min(first, row["created_at"])
        last = received if last is None else max(last, received)
    span = (last - first).total_seconds() if first and last else 0.0
    return {
        "events": len(produced),
        "consumed": len(latencies),
        "span_s": round(span, 2),
        "events_per_s": round(len(latencies) / span, 1) if span else 0.0,
        **percentiles(latencies),
    }


# --- 2. in-process, on a scratch database --------------------------------------------------------


_probe_handlers = Handlers(PROBE_SUBSCRIPTION)


@_probe_handlers.on_batch(BenchProbe)
async def _apply_probes(session: AsyncSession, events: Sequence[Envelope]) -> None:
    """One effect row per event, written as one statement per run (the way posts applies votes)."""
    await session.execute(
        text(
            "INSERT INTO effects (event_id, seq)"
            " SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:seqs AS int[]))"
        ),
        {"ids": [e.id for e in events], "seqs": [e.parse(BenchProbe).seq for e in events]},
    )


async def _fresh_schema(url: str) -> None:
    await drop_database(url)
    await ensure_database(url)
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for statement in (*OUTBOX_DDL, *INBOX_DDL):
                await conn.execute(text(statement))
            await conn.execute(text("CREATE TABLE effects (event_id UUID NOT NULL, seq INTEGER NOT NULL)"))
    finally:
        await db.dispose()


async def _write_batch(db: Database, first: int, count: int) -> None:
    rows = []
    for seq in range(first, first + count):
        envelope = Envelope.wrap(BenchProbe(seq=seq), correlation_id=None)
        rows.append(
            {"event_id": envelope.id, "type": envelope.type, "envelope": envelope.model_dump(mode="json")}
        )
    async with db.session() as session, session.begin():
        await session.execute(insert(outbox), rows)


def _stage(events: int, wall_s: float, cpu_s: float) -> dict[str, float]:
    return {
        "events": events,
        "seconds": round(wall_s, 2),
        "events_per_s": round(events / wall_s, 1) if wall_s else 0.0,
        "cpu_ms_per_event": round(cpu_s * 1000 / events, 3) if events else 0.0,
    }


class _Recorder:
    def __init__(self) -> None:
        self.records: dict[uuid.UUID, tuple[float, float]] = {}
        self.arrived = asyncio.Event()
        self.expected = 0

    async def after_commit(self, envelopes: Sequence[Envelope]) -> None:
        now = time.time()
        for envelope in envelopes:
            self.records[envelope.id] = (envelope.occurred_at.timestamp(), now)
        if len(self.records) >= self.expected:
            self.arrived.set()

    def reset(self, expected: int) -> None:
        self.records = {}
        self.expected = expected
        self.arrived.clear()

    def stats(self, written_s: float) -> dict[str, Any]:
        occurred = [o for o, _ in self.records.values()]
        committed = [c for _, c in self.records.values()]
        span = max(committed) - min(occurred) if occurred else 0.0
        latencies = [(c - o) * 1000 for o, c in self.records.values()]
        return {
            "events": len(self.records),
            "write_s": round(written_s, 2),
            "span_s": round(span, 2),
            "events_per_s": round(len(self.records) / span, 1) if span else 0.0,
            **percentiles(latencies),
        }


async def in_process(
    pg_base: str,
    amqp_url: str,
    *,
    burst: int,
    paced: int,
    rate: float,
    batch: int,
    stages: int = 0,
    max_wait_s: float = 120.0,
) -> dict[str, Any]:
    """Burst then paced phases through a real relay and consumer; events/s and latency of each.

    With ``stages``, first that many events go through each stage alone (the relay publishing a
    backlog with no consumer running, then the consumer draining it), to tell which one limits.
    """
    url = f"{pg_base}/{EVENTS_DB}"
    probe = _probe_handlers.subscription
    await _fresh_schema(url)
    await delete_topology(amqp_url, EVENTS_PREFIX, also=[probe])
    db = Database(url)
    bus = EventBus(amqp_url, prefix=EVENTS_PREFIX)
    recorder = _Recorder()
    relay = OutboxRelay(db, bus, service="bench")
    consumer = Consumer(db, bus, _probe_handlers, after_commit=recorder.after_commit)
    results: dict[str, Any] = {"database": EVENTS_DB, "prefix": EVENTS_PREFIX, "batch": batch}
    try:
        bus.start()
        await asyncio.wait_for(bus.ready.wait(), timeout=30)
        # The probe's queues, as its consumer declares them on its first start: the relay's backlog
        # (``stages``) is published before the consumer runs.
        channel = await bus.channel(confirms=False)
        await declare_subscription(
            channel,
            probe.with_prefix(EVENTS_PREFIX),
            max_attempts=bus.max_attempts,
            retry_base_ms=bus.retry_base_ms,
        )
        await channel.close()
        seq = 0
        if stages:
            for first in range(0, stages, batch):
                await _write_batch(db, first, min(batch, stages - first))
            seq = stages
            start, cpu = time.perf_counter(), time.process_time()
            while await relay.relay_once():
                pass
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            results["relay_alone"] = _stage(stages, wall, cpu)
            recorder.reset(stages)
            start, cpu = time.perf_counter(), time.process_time()
            consumer.start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(recorder.arrived.wait(), timeout=max_wait_s)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            results["consumer_alone"] = _stage(len(recorder.records), wall, cpu)
        else:
            consumer.start()
        relay.start()
        await asyncio.sleep(0.5)  # the consumer's channel is open before the first event

        # Burst: every row as fast as the writer can commit them, batch by batch.
        recorder.reset(burst)
        start = time.perf_counter()
        for first in range(seq, seq + burst, batch):
            await _write_batch(db, first, min(batch, seq + burst - first))
        written = time.perf_counter() - start
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(recorder.arrived.wait(), timeout=max_wait_s)
        results["burst"] = recorder.stats(written)

        # Paced: one batch every batch/rate seconds, so the writer offers ``rate`` events/s.
        recorder.reset(paced)
        paced_batch = max(1, min(batch, int(rate / 40)))  # about 40 commits a second
        interval = paced_batch / rate
        start = time.perf_counter()
        seq += burst
        for n, first in enumerate(range(seq, seq + paced, paced_batch)):
            delay = start + n * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await _write_batch(db, first, min(paced_batch, seq + paced - first))
        written = time.perf_counter() - start
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(recorder.arrived.wait(), timeout=max_wait_s)
        results["paced"] = recorder.stats(written) | {
            "offered_per_s": rate,
            "written_per_s": round(paced / written, 1) if written else 0.0,
            "paced_batch": paced_batch,
        }
    finally:
        with contextlib.suppress(Exception):
            await consumer.stop()
        await relay.stop()
        await bus.close()
        await db.dispose()
        with contextlib.suppress(Exception):
            await delete_topology(amqp_url, EVENTS_PREFIX, also=[probe])
    return results

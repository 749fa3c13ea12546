"""Traces through the outbox: the writer's context on the row, in the AMQP headers, linked by the consumer.

Real Postgres and RabbitMQ; spans go to the SDK's in-memory exporter (``spans``, tests/conftest.py).
"""

from __future__ import annotations

import asyncio

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext, SpanKind
from sqlalchemy import text

from common import telemetry
from common.events import EventBus

from .conftest import PREFIX, PROBE, Kit


def _hex(n: int, width: int) -> str:
    return format(n, f"0{width}x")


def _named(spans: InMemorySpanExporter, kind: SpanKind, prefix: str) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.kind is kind and s.name.startswith(prefix)]


async def _write_in_a_request(kit: Kit, seqs: list[int]) -> SpanContext:
    """Events written inside a SERVER span, as a request handler does; returns that span's context."""
    with telemetry.tracer.start_as_current_span("POST /things", kind=SpanKind.SERVER) as span:
        await kit.write_events(seqs)
    return span.get_span_context()


async def test_the_outbox_row_keeps_the_writing_requests_trace_context(
    kit: Kit, spans: InMemorySpanExporter
) -> None:
    telemetry.instrument_engine(kit.db.engine)
    request = await _write_in_a_request(kit, [1])
    async with kit.db.session() as session:
        stored = (await session.execute(text("SELECT trace_context FROM outbox"))).scalar_one()
    ctx = request
    assert stored["traceparent"].split("-")[1:3] == [_hex(ctx.trace_id, 32), _hex(ctx.span_id, 16)]
    # and the INSERT itself is a client span of that request, without its parameters
    inserts = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT and s.parent]
    assert inserts
    assert all(s.parent and s.parent.span_id == ctx.span_id for s in inserts)
    assert not any("test.probe.happened" in str(v) for s in inserts for v in (s.attributes or {}).values())


async def test_an_event_written_outside_any_span_has_no_trace_context(kit: Kit) -> None:
    await kit.write_events([1])
    assert await kit.count("SELECT count(*) FROM outbox WHERE trace_context IS NULL") == 1


async def test_the_relay_publishes_in_a_producer_span_of_that_trace_and_the_headers_carry_it(
    kit: Kit, spans: InMemorySpanExporter
) -> None:
    request = await _write_in_a_request(kit, [1, 2])
    bus = await kit.started_bus()
    try:
        assert await kit.relay(bus).relay_once() == 2
        publishes = _named(spans, SpanKind.PRODUCER, "publish ")
        assert len(publishes) == 2
        for span in publishes:
            assert span.parent is not None
            assert span.parent.span_id == request.span_id
            assert span.context is not None
            assert span.context.trace_id == request.trace_id
            attrs = dict(span.attributes or {})
            assert attrs["messaging.system"] == "rabbitmq"
            assert attrs["messaging.operation.type"] == "send"
            assert attrs["messaging.destination.name"] == f"{PREFIX}events"
            assert attrs["messaging.rabbitmq.destination.routing_key"] == kit.probe_type
        # What a consumer receives: each message's traceparent names its own publish span.
        channel = await bus.channel(confirms=False)
        queue = await channel.get_queue(PROBE.with_prefix(PREFIX).queue)
        received = set()
        for _ in range(2):
            message = await queue.get(timeout=5)
            assert message is not None
            received.add(str((message.headers or {})["traceparent"]).split("-")[2])
            await message.ack()
        assert received == {_hex(s.context.span_id, 16) for s in publishes if s.context}
        await channel.close()
    finally:
        await bus.close()


async def test_the_consumers_process_span_links_to_each_message_and_parents_the_handlers_sql(
    kit: Kit, spans: InMemorySpanExporter
) -> None:
    telemetry.instrument_engine(kit.db.engine)
    await _write_in_a_request(kit, [1, 2, 3])
    bus = await kit.started_bus()
    consumer = kit.consumer(bus)
    consumer.start()
    try:
        await kit.relay(bus).relay_once()
        for _ in range(100):
            if await kit.count("SELECT count(*) FROM effects") == 3:
                break
            await asyncio.sleep(0.05)
        assert await kit.count("SELECT count(*) FROM effects") == 3
        await asyncio.sleep(0.1)  # the batch's span ends after its ack
    finally:
        await consumer.stop()
        await bus.close()
    publishes = {s.context.span_id for s in _named(spans, SpanKind.PRODUCER, "publish ") if s.context}
    processes = _named(spans, SpanKind.CONSUMER, "process ")
    assert processes
    linked = {link.context.span_id for span in processes for link in span.links}
    assert linked == publishes  # every message's publish, whatever the batches were
    for span in processes:
        attrs = dict(span.attributes or {})
        assert attrs["messaging.system"] == "rabbitmq"
        assert attrs["messaging.operation.type"] == "process"
        assert attrs["messaging.consumer.group.name"] == f"{PREFIX}probe.events"
        assert span.parent is None  # a batch has no single parent: links, not a parent
    process_ids = {s.context.span_id for s in processes if s.context}
    effects_sql = [
        s
        for s in spans.get_finished_spans()
        if s.kind is SpanKind.CLIENT and "effects" in str((s.attributes or {}).get("db.statement", ""))
    ]
    assert effects_sql
    assert all(s.parent and s.parent.span_id in process_ids for s in effects_sql)


async def test_background_database_work_alone_makes_no_trace(kit: Kit, spans: InMemorySpanExporter) -> None:
    telemetry.instrument_engine(kit.db.engine)
    bus: EventBus = await kit.started_bus()
    try:
        await kit.relay(bus).relay_once()  # a poll: a SELECT with no request behind it
        await kit.relay(bus).refresh_metrics()
    finally:
        await bus.close()
    assert spans.get_finished_spans() == ()

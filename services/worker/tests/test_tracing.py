"""A job keeps the trace context of the consumer that recorded it, and runs as a span of that trace."""

from __future__ import annotations

import uuid

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from common import telemetry
from worker_service.jobs import repository
from worker_service.state import state_of


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    """Tracing on for the rest of the process (a process keeps the first provider it is given)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        sampler=telemetry.sampler_from_env({"OTEL_TRACES_SAMPLER": "parentbased_always_on"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    if not telemetry.enabled:
        telemetry.install(provider)
    return exporter


async def test_a_job_runs_as_a_span_of_the_trace_that_recorded_it(client, app, sql, spans) -> None:
    runners = state_of(app).job_runners
    await runners.stop(grace=5)
    try:
        with telemetry.tracer.start_as_current_span(
            "process worker-mail.events", kind=SpanKind.CONSUMER
        ) as consumer:
            async with state_of(app).db.session() as session, session.begin():
                await repository.record_job(
                    session, job_type="email.welcome", queue="mail", event_id=uuid.uuid4(), payload={}
                )
        (row,) = await sql("SELECT trace_context FROM jobs")
        recorded = consumer.get_span_context()
        assert row["trace_context"]["traceparent"].split("-")[1] == format(recorded.trace_id, "032x")
        spans.clear()
        assert await runners.by_queue["mail"].run_once()
    finally:
        runners.start()
    (job,) = [s for s in spans.get_finished_spans() if s.name == "job email.welcome"]
    assert job.parent is not None
    assert job.parent.span_id == recorded.span_id
    assert job.context is not None
    assert job.context.trace_id == recorded.trace_id
    assert (job.attributes or {})["job.type"] == "email.welcome"

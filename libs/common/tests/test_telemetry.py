"""Tracing at the request: SERVER spans by route template, log lines and exemplars that name the trace.

Spans go to the SDK's in-memory exporter (``spans``, conftest.py); whether tracing turns on at all is
checked in a fresh interpreter, since a process keeps the first provider it is given.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from common import telemetry
from common.logging import configure_logging
from common.metrics import metrics_router
from common.middleware import ObservabilityMiddleware

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def _app() -> FastAPI:
    app = FastAPI(telemetry=telemetry.FASTAPI_NATIVE_OFF)  # as create_service_app builds it
    app.add_middleware(ObservabilityMiddleware, service="traced")
    app.include_router(metrics_router)

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        logging.getLogger("traced").info("looking up", extra={"item": item_id})
        return {"id": item_id}

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://traced")


async def test_a_request_is_a_server_span_named_by_its_route_and_child_of_the_callers_traceparent(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    response = await client.get(
        "/items/42?secret=x",
        headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01", "Authorization": "Bearer abc.def.ghi"},
    )
    assert response.status_code == 200
    (span,) = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert span.name == "GET /items/{item_id}"  # no id in the name
    assert span.context is not None
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == PARENT_ID
    attrs = dict(span.attributes or {})
    assert attrs["http.route"] == "/items/{item_id}"
    assert attrs["http.response.status_code"] == 200
    recorded = json.dumps(attrs)
    assert "Bearer" not in recorded
    assert "secret" not in recorded


async def test_log_lines_and_latency_exemplars_name_the_trace(
    client: httpx.AsyncClient, spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("traced")
    try:
        await client.get("/items/7", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    finally:
        logging.getLogger().handlers.clear()
    (span,) = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
    assert span.context is not None
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    (inside,) = [line for line in lines if line["message"] == "looking up"]
    assert inside["trace_id"] == TRACE_ID
    assert inside["span_id"] == format(span.context.span_id, "016x")

    metrics = await client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert metrics.headers["content-type"].startswith("application/openmetrics-text")
    exemplar_lines = [
        line
        for line in metrics.text.splitlines()
        if line.startswith("http_request_duration_seconds_bucket")
        and 'route="/items/{item_id}"' in line
        and f'trace_id="{TRACE_ID}"' in line
    ]
    assert exemplar_lines
    plain = await client.get("/metrics")  # Prometheus' text format by default, without exemplars
    assert plain.headers["content-type"].startswith("text/plain")
    assert "trace_id" not in plain.text


def test_tracing_is_off_without_an_endpoint_and_with_the_sdk_disabled() -> None:
    assert not telemetry.wanted({})
    assert telemetry.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert not telemetry.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318", "OTEL_SDK_DISABLED": "true"})
    # In a fresh process with no endpoint: no provider set up (the API's no-op proxy stays).
    probe = (
        "from opentelemetry import trace; from common import telemetry;"
        "on = telemetry.configure('probe', version='1', environment='test');"
        "provider = type(trace.get_tracer_provider()).__name__;"
        "print(on, telemetry.enabled, provider, telemetry.current_carrier())"
    )
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "ProxyTracerProvider", "None"]


def test_the_sampler_follows_the_parent_and_keeps_linked_roots() -> None:
    from opentelemetry.sdk.trace.sampling import Decision
    from opentelemetry.trace import Link, SpanContext, TraceFlags

    sampler = telemetry.sampler_from_env(
        {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0"}
    )
    assert "ParentBased" in sampler.get_description()
    root = sampler.should_sample(None, 1, "GET /x", SpanKind.SERVER)
    assert root.decision is Decision.DROP  # ratio 0 at the root
    orphan_sql = telemetry.sampler_from_env({}).should_sample(None, 1, "SELECT", SpanKind.CLIENT)
    assert orphan_sql.decision is Decision.DROP  # background statements make no trace
    sampled = SpanContext(trace_id=5, span_id=6, is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    linked = sampler.should_sample(None, 1, "process q", SpanKind.CONSUMER, links=[Link(sampled)])
    assert linked.decision is Decision.RECORD_AND_SAMPLE  # a sampled request keeps its consumers

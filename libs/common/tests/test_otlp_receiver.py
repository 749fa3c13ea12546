"""The suites' and the bench's OTLP/HTTP receiver, fed by the real OTLP exporter of the SDK."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from common_testing.otlp_receiver import OtlpReceiver


def _export(endpoint: str, service: str, compression: Compression) -> str:
    """Two spans of one trace from ``service``; returns the trace id (hex)."""
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    exporter = OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", compression=compression)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    route = {"http.route": "/api/v1/posts"}
    with tracer.start_as_current_span("GET /api/v1/posts", attributes=route) as span:
        with tracer.start_as_current_span("SELECT posts"):
            pass
        trace_id = format(span.get_span_context().trace_id, "032x")
    provider.shutdown()
    return trace_id


def test_spans_are_decoded_and_counted_by_service() -> None:
    with OtlpReceiver() as receiver:
        trace_id = _export(receiver.endpoint, "posts", Compression.Gzip)
        _export(receiver.endpoint, "auth", Compression.NoCompression)
        spans = receiver.received()
        counts = receiver.counts()
    server = next(s for s in spans if s["name"] == "GET /api/v1/posts")
    child = next(s for s in spans if s["name"] == "SELECT posts")
    assert server["service"] == "posts"
    assert server["trace_id"] == child["trace_id"] == trace_id
    assert child["parent_span_id"] == server["span_id"]
    assert server["attributes"] == {"http.route": "/api/v1/posts"}
    assert counts["requests"] == 4  # one export per span (SimpleSpanProcessor)
    assert counts["spans"] == {"posts": 2, "auth": 2}
    assert counts["traces"] == {"posts": 1, "auth": 1}
    assert counts["cpu_s"] > 0


def test_without_keeping_spans_it_only_counts() -> None:
    with OtlpReceiver(keep_spans=False) as receiver:
        _export(receiver.endpoint, "gateway", Compression.Gzip)
        assert receiver.received() == []
        assert receiver.counts()["spans"] == {"gateway": 2}

"""Tracing for the tests that look at spans: the SDK with an in-memory exporter, set up once.

A process has one tracer provider. The first test that asks for ``spans`` installs it, and tracing
stays on for the rest of the session (every other test runs the same with it on).
"""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from common import telemetry


@pytest.fixture(scope="session")
def _exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        sampler=telemetry.sampler_from_env({"OTEL_TRACES_SAMPLER": "parentbased_always_on"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry.install(provider)
    return exporter


@pytest.fixture
def spans(_exporter: InMemorySpanExporter) -> InMemorySpanExporter:
    """The finished spans of this test (the exporter is emptied first)."""
    _exporter.clear()
    return _exporter

"""Tracing with OpenTelemetry: one trace per user action, off unless an OTLP endpoint is configured.

Configured by the standard variables, read once per process by :func:`configure` (the app's
lifespan calls it, so each uvicorn worker sets up its own exporter after the fork):

- ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``): where spans go, OTLP
  over HTTP. Unset: tracing is off, no provider is set up and the hot paths test one flag.
- ``OTEL_SDK_DISABLED=true``: off even with an endpoint.
- ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG``: by default ``parentbased_traceidratio`` at
  ``1.0``; set the ratio (``0.1``) to keep one trace in ten. The gateway starts the traces, so give
  Traefik the same ratio; services follow its decision.
- ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_BSP_*``, ``OTEL_EXPORTER_OTLP_HEADERS`` ...: as in the SDK.

Spans: a SERVER span per request (``common.middleware``, named ``METHOD /route/{template}``), CLIENT
spans from the maintained instrumentations of SQLAlchemy (statements without their parameters),
Redis (commands with their arguments replaced by ``?``) and httpx (no headers recorded), and the
messaging spans of the outbox relay (PRODUCER) and consumers (CONSUMER, linked to each message).
aio-pika's own instrumentation does not fit: the relay publishes through aiormq in waves, and the
consumers apply deliveries in batches, after the callback it would wrap has returned.

Two rules on top of the configured sampler: a CLIENT span with no parent (a relay poll, a pool
ping, a background sweep) is not recorded, so background chatter makes no traces of its own; and a
span with no parent that links to a sampled context (a consumer batch holding a sampled request's
event) is recorded, so a sampled request keeps its consumers at any ratio.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = [
    "FASTAPI_NATIVE_OFF",
    "Link",
    "SpanKind",
    "configure",
    "context_of",
    "current_carrier",
    "current_ids",
    "enabled",
    "flush",
    "install",
    "instrument_engine",
    "links_to",
    "sampler_from_env",
    "tracer",
    "wanted",
]

log = logging.getLogger("common.telemetry")

#: For ``FastAPI(telemetry=...)``: FastAPI's own instrumentation stays off once a provider is set.
#: Our SERVER span (``common.middleware``) covers the fast paths too and records no query string
#: (FastAPI's would keep ``?token=`` of a mailed link); one span per request, not four.
FASTAPI_NATIVE_OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}

#: True once a tracer provider is installed in this process. Hot paths test it before anything else.
enabled = False
tracer = trace.get_tracer("common")

_TRUE = ("true", "1", "yes")


def wanted(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the environment asks for traces: an OTLP endpoint, and the SDK not disabled."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() in _TRUE:
        return False
    return bool(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def configure(service: str, *, version: str, environment: str) -> bool:
    """Set up the SDK with the OTLP/HTTP exporter if the environment asks for it; once per process."""
    if enabled:
        return True
    if not wanted():
        return False
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {"service.name": service, "service.version": version, "deployment.environment": environment}
    )
    provider = TracerProvider(resource=resource, sampler=sampler_from_env(os.environ))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    install(provider)
    log.info("tracing on", extra={"sampler": provider.sampler.get_description()})
    return True


def install(provider: TracerProvider) -> None:
    """Make ``provider`` the process's and instrument the libraries (tests pass an in-memory one)."""
    global enabled
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    trace.set_tracer_provider(provider)
    RedisInstrumentor().instrument()  # arguments are recorded as "?"
    HTTPXClientInstrumentor().instrument()  # no request or response headers are captured
    enabled = True


def instrument_engine(engine: AsyncEngine) -> None:
    """Trace an engine's statements: their text with placeholders, never their parameters.

    Per engine, with the SQLAlchemy instrumentation's own tracer: its global switch would patch
    ``create_engine`` (too late for engines made already) and add a span per pool checkout.
    """
    if not enabled:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    usage = get_meter("common").create_up_down_counter("db.client.connections.usage")
    EngineTracer(tracer, engine.sync_engine, usage)  # type: ignore[no-untyped-call]


def flush(timeout_millis: int = 5000) -> None:
    """Export what is buffered (at shutdown), so the last requests' spans are not lost."""
    if enabled:
        force_flush = getattr(trace.get_tracer_provider(), "force_flush", None)
        if force_flush is not None:
            force_flush(timeout_millis)


def current_carrier() -> dict[str, str] | None:
    """The current span's W3C context (``traceparent``, ``tracestate``), or None outside any span."""
    if not enabled or not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier or None


def context_of(carrier: Mapping[str, Any] | None) -> otel_context.Context | None:
    """The context a carrier (stored with a row, or AMQP headers) holds; None if it holds none."""
    if not carrier:
        return None
    clean = {k: v for k, v in carrier.items() if k in ("traceparent", "tracestate") and isinstance(v, str)}
    if not clean:
        return None
    ctx = propagate.extract(clean)
    return ctx if trace.get_current_span(ctx).get_span_context().is_valid else None


def links_to(carriers: Iterable[Mapping[str, Any] | None], limit: int = 128) -> list[Link]:
    """Links to the contexts some carriers hold (the messages of a batch), at most ``limit``."""
    links: list[Link] = []
    for carrier in carriers:
        ctx = context_of(carrier)
        if ctx is not None:
            links.append(Link(trace.get_current_span(ctx).get_span_context()))
            if len(links) >= limit:
                break
    return links


def current_ids() -> tuple[str, str] | None:
    """``(trace_id, span_id)`` in hex of the current recording span, for log lines and exemplars."""
    if not enabled:
        return None
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")


def sampler_from_env(env: Mapping[str, str]) -> Any:
    from opentelemetry.sdk.trace import sampling

    name = env.get("OTEL_TRACES_SAMPLER", "parentbased_traceidratio").strip().lower()
    try:
        ratio = float(env.get("OTEL_TRACES_SAMPLER_ARG", "1.0"))
    except ValueError:
        ratio = 1.0
    ratio = min(max(ratio, 0.0), 1.0)
    roots = {
        "always_on": sampling.ALWAYS_ON,
        "always_off": sampling.ALWAYS_OFF,
        "traceidratio": sampling.TraceIdRatioBased(ratio),
    }
    base = name.removeprefix("parentbased_")
    if base not in roots:
        log.warning("unknown OTEL_TRACES_SAMPLER, using parentbased_traceidratio", extra={"sampler": name})
        base, name = "traceidratio", "parentbased_traceidratio"
    inner = sampling.ParentBased(roots[base]) if name.startswith("parentbased_") else roots[base]
    return _make_sampler(inner)


def _make_sampler(inner: Any) -> Any:
    from opentelemetry.sdk.trace import sampling

    class BackgroundAware(sampling.Sampler):
        """The configured sampler, but orphan CLIENT spans dropped and linked roots kept (module doc)."""

        def should_sample(
            self,
            parent_context: otel_context.Context | None,
            trace_id: int,
            name: str,
            kind: SpanKind | None = None,
            attributes: Any = None,
            links: Sequence[Link] | None = None,
            trace_state: Any = None,
        ) -> sampling.SamplingResult:
            if not trace.get_current_span(parent_context).get_span_context().is_valid:
                if kind is SpanKind.CLIENT:
                    return sampling.SamplingResult(sampling.Decision.DROP)
                if links and any(link.context.trace_flags.sampled for link in links):
                    return sampling.SamplingResult(sampling.Decision.RECORD_AND_SAMPLE, attributes)
            result: sampling.SamplingResult = inner.should_sample(
                parent_context, trace_id, name, kind, attributes, links, trace_state
            )
            return result

        def get_description(self) -> str:
            return f"BackgroundAware{{{inner.get_description()}}}"

    return BackgroundAware()

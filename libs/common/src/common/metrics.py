"""Prometheus metrics shared by every service (names are listed in AGENTS.md).

With several uvicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` and the ``/metrics`` endpoint
aggregates every worker's values.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.openmetrics import exposition as openmetrics

__all__ = [
    "EVENTS_CONFIRMED",
    "EVENTS_CONSUMED",
    "EVENTS_PUBLISHED",
    "HTTP_LATENCY",
    "HTTP_REQUESTS",
    "OUTBOX_OLDEST_AGE",
    "OUTBOX_PENDING",
    "metrics_router",
]

HTTP_REQUESTS = Counter(
    "http_requests_total", "HTTP requests by route and status", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency by route",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
OUTBOX_PENDING = Gauge(
    "outbox_pending", "Outbox rows not yet confirmed by the broker", ["service"], multiprocess_mode="max"
)
OUTBOX_OLDEST_AGE = Gauge(
    "outbox_oldest_pending_age_seconds",
    "Age of the oldest pending outbox row",
    ["service"],
    multiprocess_mode="max",
)
EVENTS_PUBLISHED = Counter("events_published_total", "Events handed to the broker", ["service", "type"])
EVENTS_CONFIRMED = Counter("events_confirmed_total", "Events confirmed by the broker", ["service", "type"])
EVENTS_CONSUMED = Counter(
    "events_consumed_total", "Events received by consumers, by outcome", ["service", "type", "outcome"]
)

metrics_router = APIRouter(include_in_schema=False)


@metrics_router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus' text format, or OpenMetrics when the scraper asks for it: the format that carries
    the latency histograms' exemplars (the trace id of a sampled request, see ``common.telemetry``).
    Several workers (``PROMETHEUS_MULTIPROC_DIR``) aggregate values but keep no exemplars.
    """
    registry = REGISTRY
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    if "application/openmetrics-text" in request.headers.get("accept", ""):
        body = openmetrics.generate_latest(registry)  # type: ignore[no-untyped-call]
        return Response(body, media_type=openmetrics.CONTENT_TYPE_LATEST)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

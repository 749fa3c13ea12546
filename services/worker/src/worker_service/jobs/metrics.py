"""The worker's own metrics (names listed in AGENTS.md)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["JOBS", "JOB_DURATION"]

#: ``status``: ``succeeded``, ``failed`` (gave up), ``retried`` (an attempt failed, another is due).
JOBS = Counter("jobs_total", "Job attempts finished, by type and outcome", ["type", "status"])
JOB_DURATION = Histogram(
    "job_duration_seconds",
    "Time one job attempt took",
    ["type"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)

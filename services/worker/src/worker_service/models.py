"""Every table of the worker, for Alembic's metadata: each feature package keeps its own
``models.py``, and this module re-exports them all."""

from __future__ import annotations

from worker_service.jobs.models import Job, JobStatus, Schedule

__all__ = ["Job", "JobStatus", "Schedule"]

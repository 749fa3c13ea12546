"""Worker's tables: a record of every job, and one row per schedule."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from common.db import utcnow

__all__ = ["Job", "JobStatus", "Schedule"]


class JobStatus:
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ALL = (PENDING, RUNNING, SUCCEEDED, FAILED)


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, server_default=None if nullable else func.now())


class Job(SQLModel, table=True):
    """One unit of background work. ``attempts`` counts claims: it is raised before the effect runs.

    ``lease_expires_at`` is set while a runner holds the job; if that runner dies the lease lapses
    and another runner claims the job again. ``payload`` is the triggering event's data; fields
    that are secrets (one-time tokens) are blanked once the job succeeded.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        # What the runners claim and reclaim, and the admin list (the 20261124 migration).
        Index("ix_jobs_due", "queue", "run_after", postgresql_where=text("status = 'pending'")),
        Index("ix_jobs_leased", "queue", "lease_expires_at", postgresql_where=text("status = 'running'")),
        Index("ix_jobs_recent", text("created_at DESC"), text("id DESC")),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    type: str = Field(max_length=64, index=True)
    queue: str = Field(default="default", max_length=16)
    status: str = Field(default=JobStatus.PENDING, max_length=16, index=True)
    event_id: uuid.UUID | None = Field(default=None, unique=True)
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'"))
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    #: The W3C trace context of the consumer that recorded the job; its runs are spans of that trace.
    trace_context: dict[str, str] | None = Field(
        default=None, sa_column=Column(JSONB(none_as_null=True), nullable=True)
    )
    run_after: datetime = Field(default_factory=utcnow, sa_column=_ts())
    lease_expires_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    started_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Schedule(SQLModel, table=True):
    """A recurring task; the row is what makes two workers agree on who fires a slot."""

    __tablename__ = "schedules"

    name: str = Field(primary_key=True, max_length=64)
    interval_seconds: int
    next_run_at: datetime = Field(sa_column=_ts())
    last_run_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))

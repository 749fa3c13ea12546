"""Worker's tables: a record of every job."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field, SQLModel

__all__ = ["Job", "JobStatus", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class JobStatus:
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, server_default=None if nullable else func.now())


class Job(SQLModel, table=True):
    __tablename__ = "jobs"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    type: str = Field(max_length=64, index=True)
    status: str = Field(default=JobStatus.PENDING, max_length=16, index=True)
    event_id: uuid.UUID | None = Field(default=None, unique=True)
    attempts: int = 0
    last_error: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))

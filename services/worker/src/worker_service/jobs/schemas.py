"""Worker's response bodies (operators' view of jobs; payloads, which may hold tokens, stay inside)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = ["JobPage", "JobPublic", "JobStatusFilter"]


class JobStatusFilter(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    queue: str
    status: str
    attempts: int
    last_error: str | None
    event_id: uuid.UUID | None
    run_after: datetime
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(BaseModel):
    items: list[JobPublic]
    next_cursor: str | None

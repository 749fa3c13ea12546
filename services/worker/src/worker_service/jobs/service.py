"""Operators' rules for jobs: list and retry. No commit, no HTTP types (the API and the CLI share it)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common import BadRequest, Conflict, NotFound
from common.pagination import decode_cursor, encode_cursor
from worker_service.jobs import repository
from worker_service.jobs.schemas import JobPage, JobPublic

__all__ = ["list_jobs", "retry_job"]


def _after(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if not cursor:
        return None
    created_at, job_id = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(created_at), uuid.UUID(job_id)
    except (TypeError, ValueError):
        raise BadRequest("Invalid cursor: pass back the next_cursor value of a previous page") from None


async def list_jobs(
    session: AsyncSession, *, status: str | None, job_type: str | None, limit: int, cursor: str | None
) -> JobPage:
    jobs = await repository.list_jobs(
        session, status=status, job_type=job_type, limit=limit + 1, after=_after(cursor)
    )
    items = [JobPublic.model_validate(job) for job in jobs[:limit]]
    next_cursor = None
    if len(jobs) > limit:
        next_cursor = encode_cursor([items[-1].created_at.isoformat(), str(items[-1].id)])
    return JobPage(items=items, next_cursor=next_cursor)


async def retry_failed_jobs(
    session: AsyncSession,
    *,
    queue: str | None = None,
    job_type: str | None = None,
    error_contains: str | None = None,
) -> list[uuid.UUID]:
    """Make every failed job that matches pending again (e.g. the mail the SMTP server missed)."""
    return await repository.requeue_failed_matching(
        session, queue=queue, job_type=job_type, error_contains=error_contains
    )


async def retry_job(session: AsyncSession, job_id: uuid.UUID) -> JobPublic:
    """Make a failed job pending again with a fresh attempt budget."""
    job = await repository.requeue_failed(session, job_id)
    if job is not None:
        return JobPublic.model_validate(job)
    existing = await repository.get_job(session, job_id)
    if existing is None:
        raise NotFound("Job not found")
    raise Conflict(f"Only failed jobs can be retried; this one is {existing.status}")

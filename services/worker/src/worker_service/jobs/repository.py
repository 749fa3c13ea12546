"""Worker's queries, and nothing else: recording, claiming, finishing and listing jobs.

Every state change of a running job is fenced on ``(id, status='running', attempts)``: a runner
whose lease lapsed (and whose job another runner took over) can no longer finish it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from common import telemetry
from worker_service.jobs.models import Job, JobStatus

__all__ = [
    "ClaimedJob",
    "claim_next",
    "delete_finished",
    "finish",
    "get_job",
    "list_jobs",
    "record_job",
    "renew_lease",
    "requeue_failed",
    "reschedule",
]


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: uuid.UUID
    type: str
    payload: dict[str, Any]
    attempts: int
    #: The trace context of the event's consumer that recorded the job (None while tracing is off).
    trace_context: dict[str, str] | None = None


async def record_job(
    session: AsyncSession, *, job_type: str, queue: str, event_id: uuid.UUID, payload: dict[str, Any]
) -> bool:
    """A pending job for an event; False if that event already has one (redelivery).

    It keeps the current trace context (the consumer's span of that event): its runs join that trace.
    """
    result = await session.execute(
        insert(Job)
        .values(
            id=uuid.uuid4(),
            type=job_type,
            queue=queue,
            event_id=event_id,
            payload=payload,
            trace_context=telemetry.current_carrier(),
        )
        .on_conflict_do_nothing(index_elements=[col(Job.event_id)])
        .returning(col(Job.id))
    )
    return result.first() is not None


_CLAIM = text(
    """
    UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = now(), updated_at = now(),
                    lease_expires_at = now() + make_interval(secs => :lease)
    WHERE id = (
        SELECT id FROM jobs
        WHERE queue = :queue
          AND ((status = 'pending' AND run_after <= now())
               OR (status = 'running' AND lease_expires_at < now()))
        ORDER BY run_after, created_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    RETURNING id, type, payload, attempts, trace_context
    """
)


async def claim_next(session: AsyncSession, queue: str, *, lease_seconds: float) -> ClaimedJob | None:
    """Take the next due job of ``queue`` (or one whose runner's lease lapsed); the caller commits."""
    row = (await session.execute(_CLAIM, {"queue": queue, "lease": lease_seconds})).first()
    if row is None:
        return None
    return ClaimedJob(
        id=row.id,
        type=row.type,
        payload=dict(row.payload),
        attempts=row.attempts,
        trace_context=row.trace_context,
    )


def _owned(job: ClaimedJob) -> Any:
    return and_(
        col(Job.id) == job.id, col(Job.status) == JobStatus.RUNNING, col(Job.attempts) == job.attempts
    )


async def _fenced_update(session: AsyncSession, job: ClaimedJob, values: dict[str, Any]) -> bool:
    result = await session.execute(update(Job).where(_owned(job)).values(**values).returning(col(Job.id)))
    return result.first() is not None


async def renew_lease(session: AsyncSession, job: ClaimedJob, *, lease_seconds: float) -> bool:
    return await _fenced_update(
        session, job, {"lease_expires_at": func.now() + timedelta(seconds=lease_seconds)}
    )


async def finish(
    session: AsyncSession,
    job: ClaimedJob,
    *,
    status: str,
    error: str | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Mark a claimed job succeeded or failed; False if this runner no longer owns it."""
    values: dict[str, Any] = {
        "status": status,
        "last_error": error,
        "lease_expires_at": None,
        "finished_at": func.now(),
        "updated_at": func.now(),
    }
    if payload is not None:
        values["payload"] = payload
    return await _fenced_update(session, job, values)


async def reschedule(session: AsyncSession, job: ClaimedJob, *, delay_seconds: float, error: str) -> bool:
    """Put a failed attempt back as pending, due after ``delay_seconds``."""
    return await _fenced_update(
        session,
        job,
        {
            "status": JobStatus.PENDING,
            "last_error": error,
            "lease_expires_at": None,
            "run_after": func.now() + timedelta(seconds=delay_seconds),
            "updated_at": func.now(),
        },
    )


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    return await session.get(Job, job_id)


#: A failed job made pending again, due now, with a fresh attempt budget.
_PENDING_AGAIN: dict[str, Any] = {
    "status": JobStatus.PENDING,
    "attempts": 0,
    "run_after": func.now(),
    "finished_at": None,
    "lease_expires_at": None,
    "updated_at": func.now(),
}


async def requeue_failed(session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    """A failed job made pending again with a fresh attempt budget; None if it is not failed."""
    result = await session.execute(
        update(Job)
        .where(col(Job.id) == job_id, col(Job.status) == JobStatus.FAILED)
        .values(_PENDING_AGAIN)
        .returning(col(Job.id))
    )
    if result.first() is None:
        return None
    return await session.get(Job, job_id, populate_existing=True)


async def requeue_failed_matching(
    session: AsyncSession, *, queue: str | None, job_type: str | None, error_contains: str | None
) -> list[uuid.UUID]:
    """Every failed job that matches, made pending again with a fresh attempt budget; their ids."""
    stmt = update(Job).where(col(Job.status) == JobStatus.FAILED)
    if queue is not None:
        stmt = stmt.where(col(Job.queue) == queue)
    if job_type is not None:
        stmt = stmt.where(col(Job.type) == job_type)
    if error_contains is not None:
        stmt = stmt.where(col(Job.last_error).icontains(error_contains, autoescape=True))
    result = await session.execute(stmt.values(_PENDING_AGAIN).returning(col(Job.id)))
    return [row[0] for row in result.all()]


async def list_jobs(
    session: AsyncSession,
    *,
    status: str | None,
    job_type: str | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> list[Job]:
    """Newest first, keyset-paged on ``(created_at, id)``."""
    stmt = select(Job)
    if status is not None:
        stmt = stmt.where(col(Job.status) == status)
    if job_type is not None:
        stmt = stmt.where(col(Job.type) == job_type)
    if after is not None:
        created_at, job_id = after
        stmt = stmt.where(
            or_(
                col(Job.created_at) < created_at,
                and_(col(Job.created_at) == created_at, col(Job.id) < job_id),
            )
        )
    stmt = stmt.order_by(col(Job.created_at).desc(), col(Job.id).desc()).limit(limit)
    return list((await session.execute(stmt)).scalars().all())


_DELETE_FINISHED = text(
    """
    DELETE FROM jobs WHERE id = ANY(ARRAY(
        SELECT id FROM jobs
        WHERE status IN ('succeeded', 'failed') AND finished_at < :cutoff
        LIMIT :limit
    ))
    """
)


async def delete_finished(session: AsyncSession, *, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` succeeded or failed jobs that finished before ``cutoff``; how many went."""
    result = await session.execute(_DELETE_FINISHED, {"cutoff": cutoff, "limit": limit})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]

"""Worker's internal HTTP surface: jobs for operators (admin token; not routed by the gateway)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from common import NotFound
from common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from worker_service.dependencies import AdminUser, SessionDep, State
from worker_service.jobs import repository, service
from worker_service.jobs.schemas import JobPage, JobPublic, JobStatusFilter

__all__ = ["router"]

router = APIRouter(prefix="/internal/jobs", tags=["jobs"])


@router.get("", response_model=JobPage)
async def list_jobs(
    _: AdminUser,
    session: SessionDep,
    status: JobStatusFilter | None = None,
    type: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> JobPage:
    """Jobs, newest first, optionally of one status and type."""
    return await service.list_jobs(
        session, status=status.value if status else None, job_type=type, limit=limit, cursor=cursor
    )


@router.get("/{job_id}", response_model=JobPublic)
async def get_job(job_id: uuid.UUID, _: AdminUser, session: SessionDep) -> JobPublic:
    """One job."""
    job = await repository.get_job(session, job_id)
    if job is None:
        raise NotFound("Job not found")
    return JobPublic.model_validate(job)


@router.post("/{job_id}/retry", response_model=JobPublic)
async def retry_job(job_id: uuid.UUID, _: AdminUser, session: SessionDep, state: State) -> JobPublic:
    """Run a failed job again (409 for a job that is not failed)."""
    job = await service.retry_job(session, job_id)
    await session.commit()  # before waking the runner, so it can see the job
    state.job_runners.wake(job.queue)
    return job

"""The worker application: event consumers, job runners and schedules, with health, metrics and jobs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

from fastapi import FastAPI

from common import TokenVerifier, create_service_app
from common.events import Envelope
from common.state import ServiceState
from common.storage_config import open_storage
from worker_service.handlers import JOB_KINDS, mail_handlers, media_handlers
from worker_service.jobs.router import router
from worker_service.jobs.runner import JobRunners
from worker_service.jobs.scheduler import Scheduler
from worker_service.retention.service import JobPruner, token_cleanup
from worker_service.settings import WorkerSettings, get_settings
from worker_service.state import WorkerState

__all__ = ["create_app"]


def create_app(settings: WorkerSettings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def setup(base: ServiceState) -> AsyncIterator[WorkerState]:
        async with open_storage(settings) as storage:
            runners = JobRunners(base.db, settings, storage, JOB_KINDS)
            state = WorkerState.extend(
                base,
                settings=settings,
                storage=storage,
                job_runners=runners,
                scheduler=Scheduler(
                    base.db, [token_cleanup(settings)], poll_seconds=settings.scheduler_poll_seconds
                ),
                job_pruner=JobPruner(
                    base.db,
                    retention=timedelta(hours=settings.job_retention_hours),
                    interval_seconds=settings.job_prune_interval_seconds,
                ),
            )

            async def wake_mail(_: Sequence[Envelope]) -> None:
                runners.wake("mail")

            async def wake_media(_: Sequence[Envelope]) -> None:
                runners.wake("media")

            base.runtime.consume(mail_handlers, after_commit=wake_mail)
            base.runtime.consume(media_handlers, prefetch=settings.media_prefetch, after_commit=wake_media)
            if settings.run_background:
                runners.start()
                state.scheduler.start()
                state.job_pruner.start()
            try:
                yield state
            finally:
                await state.job_pruner.stop()
                await state.scheduler.stop()
                await runners.stop(grace=settings.job_shutdown_grace_seconds)

    return create_service_app(
        settings,
        title="Worker",
        description="Background jobs: media processing, e-mail, scheduled token cleanup.",
        routers=[router],
        setup=setup,
        verifier=verifier,
    )

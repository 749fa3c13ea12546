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
from worker_service.retention import JobPruner
from worker_service.router import router
from worker_service.runner import JobRunners
from worker_service.scheduler import Scheduler, token_cleanup
from worker_service.settings import WorkerSettings, get_settings

__all__ = ["create_app"]


def create_app(settings: WorkerSettings | None = None, *, verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def setup(base: ServiceState) -> AsyncIterator[ServiceState]:
        runtime = base.runtime
        async with open_storage(settings) as storage:
            runners = JobRunners(runtime.db, settings, storage, JOB_KINDS)
            scheduler = Scheduler(
                runtime.db, [token_cleanup(settings)], poll_seconds=settings.scheduler_poll_seconds
            )
            pruner = JobPruner(
                runtime.db,
                retention=timedelta(hours=settings.job_retention_hours),
                interval_seconds=settings.job_prune_interval_seconds,
            )
            app.state.storage, app.state.job_runners, app.state.scheduler = storage, runners, scheduler
            app.state.job_pruner = pruner

            async def wake_mail(_: Sequence[Envelope]) -> None:
                runners.wake("mail")

            async def wake_media(_: Sequence[Envelope]) -> None:
                runners.wake("media")

            runtime.consume(mail_handlers, after_commit=wake_mail)
            runtime.consume(media_handlers, prefetch=settings.media_prefetch, after_commit=wake_media)
            if settings.run_background:
                runners.start()
                scheduler.start()
                pruner.start()
            try:
                yield base
            finally:
                await pruner.stop()
                await scheduler.stop()
                await runners.stop(grace=settings.job_shutdown_grace_seconds)

    app = create_service_app(
        settings,
        title="Worker",
        description="Background jobs: media processing, e-mail, scheduled token cleanup.",
        routers=[router],
        setup=setup,
        verifier=verifier,
    )
    return app

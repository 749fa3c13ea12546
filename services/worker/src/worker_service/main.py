"""The worker application: event consumers and schedules, with health and metrics over HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from common import Runtime, create_service_app
from worker_service.handlers import MAIL_HANDLERS, MEDIA_HANDLERS
from worker_service.settings import WorkerSettings, get_settings

__all__ = ["create_app"]


def create_app(settings: WorkerSettings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def setup(app: FastAPI, runtime: Runtime) -> AsyncIterator[None]:
        runtime.consume("worker-mail", MAIL_HANDLERS)
        runtime.consume("worker-media", MEDIA_HANDLERS, prefetch=2)
        yield

    return create_service_app(
        settings,
        title="Worker",
        description="Background jobs: media processing, e-mail, scheduled token cleanup.",
        routers=[],
        setup=setup,
    )

"""Worker's settings."""

from __future__ import annotations

from functools import lru_cache

from common import ServiceSettings

__all__ = ["WorkerSettings", "get_settings"]


class WorkerSettings(ServiceSettings):
    service_name: str = "worker"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/worker"


@lru_cache
def get_settings() -> WorkerSettings:
    return WorkerSettings()

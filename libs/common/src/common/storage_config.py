"""Which object storage a process uses, read from its settings (``MEDIA_STORAGE``, ``MEDIA_DIR``, ``S3_*``).

Services that store media (posts, worker) add :class:`StorageSettings` to their settings class and
open the backend in lifespan with :func:`open_storage` (or build it with :func:`storage_from_settings`
and close it themselves), so both sides of the media pipeline always agree on where objects live.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from common.storage import LocalStorage, ObjectStorage
from common.storage_s3 import S3Storage

__all__ = ["StorageSettings", "open_storage", "storage_from_settings"]


class StorageSettings(BaseSettings):
    """Mixin: ``class MySettings(ServiceSettings, StorageSettings)``.

    Its config equals ``ServiceSettings``' on purpose: pydantic merges the bases' configs, and a
    default config here would silently drop the service's ``.env`` file and frozenness.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    #: ``local`` (files under ``media_dir``; the embedded default) or ``s3`` (any S3-compatible server).
    media_storage: Literal["local", "s3"] = "local"
    media_dir: Path = Path("var/media")
    s3_endpoint_url: str | None = None
    s3_bucket: str = "media"
    #: Leave both unset to use the platform's credentials (IAM role, instance profile).
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_region: str = "us-east-1"

    def storage_secret_fields(self) -> dict[str, str]:
        """For a subclass's ``secret_fields``, so a default S3 secret is refused outside development."""
        return {"s3_secret_access_key": self.s3_secret_access_key or ""}


def storage_from_settings(settings: StorageSettings) -> ObjectStorage:
    """The configured backend. An :class:`S3Storage` must be closed (``await storage.close()``)."""
    if settings.media_storage == "s3":
        return S3Storage(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            region=settings.s3_region,
        )
    return LocalStorage(settings.media_dir)


@contextlib.asynccontextmanager
async def open_storage(settings: StorageSettings) -> AsyncIterator[ObjectStorage]:
    """The configured backend for the length of a lifespan, closed (connections released) after it."""
    storage = storage_from_settings(settings)
    try:
        yield storage
    finally:
        if isinstance(storage, S3Storage):
            await storage.close()

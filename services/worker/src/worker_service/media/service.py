"""The media job: check an upload, store a normalised original and a thumbnail, report the outcome.

Results go to deterministic keys (``media/<media_id>/original.webp``, ``.../thumbnail.webp``), so a
job repeated after a crash overwrites the same two objects instead of leaving copies.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from pydantic import ValidationError

from common.errors import NotFound
from common.events import Event
from common.events.schemas import MediaFailed, MediaProcessed, MediaProcessingStarted, MediaUploaded
from worker_service.jobs.kinds import JobContext, JobKind, JobRejected
from worker_service.media.imaging import ImageLimits, MediaRejected, normalise
from worker_service.settings import WorkerSettings

__all__ = ["MEDIA_KIND", "image_limits", "media_keys"]

log = logging.getLogger("worker_service.media")


def media_keys(media_id: uuid.UUID) -> tuple[str, str]:
    """``(original, thumbnail)`` storage keys of a processed upload."""
    return f"media/{media_id}/original.webp", f"media/{media_id}/thumbnail.webp"


def image_limits(settings: WorkerSettings) -> ImageLimits:
    return ImageLimits(
        max_bytes=settings.media_max_bytes,
        max_pixels=settings.media_max_pixels,
        max_width=settings.media_max_width,
        max_height=settings.media_max_height,
        original_max_side=settings.media_original_max_side,
        thumbnail_side=settings.media_thumbnail_side,
        quality=settings.media_webp_quality,
    )


def _upload(payload: dict[str, Any]) -> MediaUploaded:
    try:
        return MediaUploaded.model_validate(payload)
    except ValidationError:
        raise JobRejected("the upload event is malformed") from None


async def _read_original(ctx: JobContext, upload: MediaUploaded) -> bytes:
    if upload.size > ctx.settings.media_max_bytes:
        raise JobRejected(f"the file is {upload.size} bytes; the limit is {ctx.settings.media_max_bytes}")
    try:
        return await ctx.storage.get(upload.storage_key)
    except ValueError:
        raise JobRejected("the upload's storage key is invalid") from None
    except NotFound:
        # Posts stores the file before it publishes the event, so this is storage lagging: retry.
        raise FileNotFoundError("the uploaded file is not in storage") from None


async def process(ctx: JobContext, payload: dict[str, Any]) -> list[Event]:
    upload = _upload(payload)
    data = await _read_original(ctx, upload)
    try:
        image = await asyncio.to_thread(normalise, data, image_limits(ctx.settings))
    except MediaRejected as exc:
        raise JobRejected(exc.reason) from None
    original_key, thumbnail_key = media_keys(upload.media_id)
    await ctx.fence()  # only the runner that still owns the job writes its results
    await ctx.storage.put(thumbnail_key, image.thumbnail, "image/webp")
    await ctx.storage.put(original_key, image.original, "image/webp")
    log.info("media processed", extra={"media_id": str(upload.media_id), "format": image.source_format})
    return [
        MediaProcessed(
            media_id=upload.media_id,
            post_id=upload.post_id,
            width=image.width,
            height=image.height,
            size=image.size,
            sha256=image.sha256,
            original_key=original_key,
            thumbnail_key=thumbnail_key,
        )
    ]


def failed(payload: dict[str, Any], reason: str) -> list[Event]:
    try:
        upload = MediaUploaded.model_validate(payload)
    except ValidationError:
        return []
    return [MediaFailed(media_id=upload.media_id, post_id=upload.post_id, reason=reason)]


def started(payload: dict[str, Any]) -> list[Event]:
    try:
        upload = MediaUploaded.model_validate(payload)
    except ValidationError:
        return []
    return [MediaProcessingStarted(media_id=upload.media_id, post_id=upload.post_id)]


MEDIA_KIND = JobKind(type="media.process", queue="media", run=process, failed=failed, started=started)

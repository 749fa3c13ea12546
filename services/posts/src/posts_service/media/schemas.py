"""Media response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from posts_service.media.models import MediaStatus

__all__ = ["MediaList", "MediaPublic"]


class MediaPublic(BaseModel):
    id: uuid.UUID
    post_id: uuid.UUID
    status: MediaStatus = Field(description="pending → processing → ready, or failed (see failure_reason)")
    content_type: str = Field(description="the type of the uploaded file")
    size: int = Field(description="bytes uploaded")
    width: int | None = None
    height: int | None = None
    failure_reason: str | None = None
    thumbnail_url: str | None = Field(default=None, description="once ready: a small WebP rendition")
    original_url: str | None = Field(default=None, description="once ready: the re-encoded full image")
    created_at: datetime
    updated_at: datetime


class MediaList(BaseModel):
    items: list[MediaPublic] = Field(description="oldest first; at most MEDIA_MAX_PER_POST items")

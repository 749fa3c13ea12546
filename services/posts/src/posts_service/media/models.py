"""The media table: one row per uploaded image, its processing status and the keys of its files."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Text, Uuid
from sqlmodel import Field, SQLModel

from common.db import utcnow
from posts_service.posts.models import timestamp_column

__all__ = ["Media", "MediaStatus"]


class MediaStatus(StrEnum):
    PENDING = "pending"  # stored, waiting for the worker
    PROCESSING = "processing"  # the worker said it started
    READY = "ready"  # thumbnail and original (re-encoded) are in storage
    FAILED = "failed"  # the worker refused or could not process it; see failure_reason


class Media(SQLModel, table=True):
    __tablename__ = "media"
    __table_args__ = (Index("ix_media_post_id", "post_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    post_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("posts.id", ondelete="CASCADE"), nullable=False)
    )
    owner_id: uuid.UUID
    status: str = Field(default=MediaStatus.PENDING, max_length=16)
    content_type: str = Field(max_length=64)
    size: int
    #: The upload as received (validated only by a cheap sniff); never served.
    upload_key: str = Field(max_length=512)
    original_key: str | None = Field(default=None, max_length=512)
    thumbnail_key: str | None = Field(default=None, max_length=512)
    width: int | None = None
    height: int | None = None
    failure_reason: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())

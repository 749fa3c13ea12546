"""Sessions' tables: one row per signed-in device, and the refresh tokens rotated away."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from auth_service.accounts.models import timestamp
from common.db import utcnow

__all__ = ["DeviceSession", "UsedRefreshToken"]


class DeviceSession(SQLModel, table=True):
    """One signed-in device: a refresh-token family. Tokens rotate within it; reuse revokes it."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_expires_at", "expires_at"),
        Index("ix_sessions_last_used_at", "last_used_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    platform: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    ip: str | None = Field(default=None, max_length=64)
    #: Hash of the one refresh token that is valid now.
    refresh_token_hash: str | None = Field(default=None, max_length=128, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    last_used_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    #: Absolute end of the session (sign-in time plus the absolute lifetime).
    expires_at: datetime = Field(sa_column=timestamp())
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))


class UsedRefreshToken(SQLModel, table=True):
    """A refresh token that was rotated away; presenting it again means it was stolen."""

    __tablename__ = "used_refresh_tokens"

    token_hash: str = Field(primary_key=True, max_length=128)
    session_id: uuid.UUID = Field(foreign_key="sessions.id", index=True, ondelete="CASCADE")
    rotated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())

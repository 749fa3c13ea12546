"""Auth's tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, func, text
from sqlmodel import Field, SQLModel

__all__ = ["Role", "Session", "User", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role:
    USER = "user"
    ADMIN = "admin"


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, server_default=None if nullable else func.now())


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", text("lower(email)"), unique=True),
        Index("uq_users_username_lower", text("lower(username)"), unique=True),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=254)
    username: str = Field(max_length=32)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.USER, max_length=16)
    tier: str = Field(default="free", max_length=32)
    is_active: bool = True
    email_verified: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Session(SQLModel, table=True):
    """One signed-in device. Refresh tokens rotate within it; reuse of an old one revokes it."""

    __tablename__ = "sessions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    platform: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)
    ip: str | None = Field(default=None, max_length=64)
    refresh_token_hash: str | None = Field(default=None, max_length=128, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_used_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))

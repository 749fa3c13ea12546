"""Auth's tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKeyConstraint, Index, UniqueConstraint, func, text
from sqlmodel import Field, SQLModel

__all__ = [
    "DEFAULT_TIER",
    "OneTimeToken",
    "Role",
    "Session",
    "Tier",
    "TierLimit",
    "TokenPurpose",
    "UsedRefreshToken",
    "User",
    "utcnow",
]

#: The tier new users get until an admin makes another tier the default.
DEFAULT_TIER = "free"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role:
    USER = "user"
    ADMIN = "admin"
    ALL = ("user", "admin")


class TokenPurpose:
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose name, not a secret)
    EMAIL_VERIFICATION = "email_verification"


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, server_default=None if nullable else func.now())


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_email_lower", text("lower(email)"), unique=True),
        Index("uq_users_username_lower", text("lower(username)"), unique=True),
        Index("ix_users_tier", "tier"),
        Index("ix_users_created_at", "created_at", "id"),
        # A tier in use cannot be deleted; a renamed one carries its users along (20261124 migration).
        ForeignKeyConstraint(
            ["tier"], ["tiers.name"], name="fk_users_tier_tiers", onupdate="CASCADE", ondelete="RESTRICT"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=254)
    username: str = Field(max_length=32)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.USER, max_length=16)
    tier: str = Field(default=DEFAULT_TIER, max_length=32)
    is_active: bool = True
    email_verified: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class Session(SQLModel, table=True):
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
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    last_used_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    #: Absolute end of the session (sign-in time plus the absolute lifetime).
    expires_at: datetime = Field(sa_column=_ts())
    revoked_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class UsedRefreshToken(SQLModel, table=True):
    """A refresh token that was rotated away; presenting it again means it was stolen."""

    __tablename__ = "used_refresh_tokens"

    token_hash: str = Field(primary_key=True, max_length=128)
    session_id: uuid.UUID = Field(foreign_key="sessions.id", index=True, ondelete="CASCADE")
    rotated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class OneTimeToken(SQLModel, table=True):
    """A single-use, time-limited token mailed to the user; only its hash is stored."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (
        Index("ix_one_time_tokens_user_id", "user_id", "purpose"),
        Index("ix_one_time_tokens_expires_at", "expires_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    purpose: str = Field(max_length=32)
    token_hash: str = Field(max_length=128, unique=True)
    #: The address a verification token verifies (an e-mail change makes older tokens useless).
    email: str | None = Field(default=None, max_length=254)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    expires_at: datetime = Field(sa_column=_ts())
    used_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Tier(SQLModel, table=True):
    """A named set of per-path request limits; each user has one tier."""

    __tablename__ = "tiers"
    __table_args__ = (
        # At most one default tier.
        Index("uq_tiers_default", "is_default", unique=True, postgresql_where=text("is_default")),
    )

    name: str = Field(primary_key=True, max_length=32)
    description: str = Field(default="", max_length=200)
    is_default: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_column=_ts())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_ts())


class TierLimit(SQLModel, table=True):
    """At most ``request_limit`` requests to paths under ``path_prefix`` per ``period_seconds``."""

    __tablename__ = "tier_limits"
    __table_args__ = (
        UniqueConstraint("tier_name", "path_prefix", "period_seconds", name="uq_tier_limits_rule"),
        ForeignKeyConstraint(["tier_name"], ["tiers.name"], onupdate="CASCADE", ondelete="CASCADE"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tier_name: str = Field(index=True, max_length=32)
    path_prefix: str = Field(max_length=200)
    request_limit: int
    period_seconds: int

"""Accounts' tables: users and the single-use tokens mailed to them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Column, DateTime, ForeignKeyConstraint, Index, func, text
from sqlmodel import Field, SQLModel

from common.db import utcnow

__all__ = ["DEFAULT_TIER", "OneTimeToken", "Role", "TokenPurpose", "User", "timestamp"]


#: The tier new users get until an admin makes another tier the default.
DEFAULT_TIER = "free"


class Role(enum.StrEnum):
    """An account's role, stored as its value."""

    USER = "user"
    ADMIN = "admin"


class TokenPurpose(enum.StrEnum):
    """What a mailed single-use token is for, stored as its value."""

    PASSWORD_RESET = "password_reset"  # noqa: S105 (a purpose name, not a secret)
    EMAIL_VERIFICATION = "email_verification"


def timestamp(nullable: bool = False) -> Column[datetime]:
    """A ``timestamptz`` column; ``now()`` by default unless it may be empty."""
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
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    expires_at: datetime = Field(sa_column=timestamp())
    used_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))

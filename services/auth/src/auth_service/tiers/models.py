"""Tiers' tables: named sets of per-path request limits."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from auth_service.accounts.models import timestamp
from common.db import utcnow

__all__ = ["Tier", "TierLimit"]


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
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp())


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

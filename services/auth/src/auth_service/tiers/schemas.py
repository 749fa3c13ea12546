"""Bodies of the admin tier endpoints, named by suffix."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

__all__ = [
    "MAX_LIMITS_PER_TIER",
    "TIER_NAME_PATTERN",
    "TierCreate",
    "TierLimitIn",
    "TierLimitPublic",
    "TierLimitsReplace",
    "TierName",
    "TierPublic",
    "TierUpdate",
]

TIER_NAME_PATTERN = r"^[a-z][a-z0-9_-]{1,31}$"
#: PostgreSQL text cannot hold NUL: stored text refuses it (422, not a 500).
_NO_NUL = r"^[^\x00]*$"
MAX_LIMITS_PER_TIER = 20
MAX_REQUEST_LIMIT = 1_000_000_000
MAX_PERIOD_SECONDS = 86_400

TierName = Annotated[str, StringConstraints(pattern=TIER_NAME_PATTERN)]


class TierLimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path_prefix: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^/[^\s?#\x00]*$",
        description="requests whose path starts with this (e.g. /api/v1/posts) count against the limit",
    )
    request_limit: int = Field(ge=1, le=MAX_REQUEST_LIMIT, description="requests allowed per period")
    period_seconds: int = Field(ge=1, le=MAX_PERIOD_SECONDS, description="window length, 1 s to 1 day")


def _distinct(limits: list[TierLimitIn]) -> list[TierLimitIn]:
    seen = {(item.path_prefix, item.period_seconds) for item in limits}
    if len(seen) != len(limits):
        raise ValueError("each (path_prefix, period_seconds) pair may appear once")
    return limits


Limits = Annotated[list[TierLimitIn], Field(max_length=MAX_LIMITS_PER_TIER)]


class TierCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TierName = Field(
        description="2 to 32 lowercase letters, digits, '-' or '_', starting with a letter"
    )
    description: str = Field(default="", max_length=200, pattern=_NO_NUL)
    is_default: bool = Field(default=False, description="new accounts and anonymous callers get this tier")
    limits: Limits = Field(default_factory=list)

    _check_limits = field_validator("limits")(_distinct)


class TierUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(default=None, max_length=200, pattern=_NO_NUL)
    is_default: bool | None = Field(
        default=None, description="true makes this the default tier (the previous default stops being one)"
    )


class TierLimitsReplace(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limits: Limits

    _check_limits = field_validator("limits")(_distinct)


class TierLimitPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path_prefix: str
    request_limit: int
    period_seconds: int


class TierPublic(BaseModel):
    name: str
    description: str
    is_default: bool
    limits: list[TierLimitPublic]
    created_at: datetime
    updated_at: datetime

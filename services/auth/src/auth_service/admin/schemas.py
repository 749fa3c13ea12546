"""Admin's request and response bodies, named by suffix."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from auth_service.accounts.schemas import UserPublic
from auth_service.tiers.schemas import TierName

__all__ = ["RoleUpdate", "TierAssign", "UserAdminPublic", "UserPage"]


class UserAdminPublic(UserPublic):
    is_active: bool


class UserPage(BaseModel):
    items: list[UserAdminPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")


class RoleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "admin"]


class TierAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tier: TierName

"""Every auth table, for Alembic's metadata: each feature package keeps its own."""

from __future__ import annotations

from auth_service.accounts.models import DEFAULT_TIER, OneTimeToken, Role, TokenPurpose, User
from auth_service.sessions.models import DeviceSession, UsedRefreshToken
from auth_service.tiers.models import Tier, TierLimit

__all__ = [
    "DEFAULT_TIER",
    "DeviceSession",
    "OneTimeToken",
    "Role",
    "Tier",
    "TierLimit",
    "TokenPurpose",
    "UsedRefreshToken",
    "User",
]

"""Rules for managing tiers. No commit (the request boundary commits), no HTTP types."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth_service.tiers import repository
from auth_service.tiers.models import Tier, TierLimit
from auth_service.tiers.schemas import TierCreate, TierLimitIn, TierPublic, TierUpdate
from common import Conflict, NotFound
from common.db import utcnow

#: Every process holds every tier in memory; keep that small.
MAX_TIERS = 50

__all__ = [
    "MAX_TIERS",
    "create_tier",
    "delete_tier",
    "get_tier",
    "list_tiers",
    "replace_limits",
    "update_tier",
]


def _public(tier: Tier, limits: Sequence[TierLimit]) -> TierPublic:
    return TierPublic.model_validate(
        {**tier.model_dump(), "limits": [limit.model_dump() for limit in limits]}
    )


async def list_tiers(session: AsyncSession) -> list[TierPublic]:
    tiers, limits = await repository.all_limits(session)
    return [_public(tier, [x for x in limits if x.tier_name == tier.name]) for tier in tiers]


async def _tier(session: AsyncSession, name: str, *, for_update: bool = False) -> Tier:
    tier = await repository.get_tier(session, name, for_update=for_update)
    if tier is None:
        raise NotFound(f"No tier named {name!r}")
    return tier


async def get_tier(session: AsyncSession, name: str) -> TierPublic:
    tier = await _tier(session, name)
    return _public(tier, await repository.limits_of(session, [name]))


def _add_limits(session: AsyncSession, name: str, limits: Sequence[TierLimitIn]) -> None:
    for item in limits:
        session.add(TierLimit(tier_name=name, **item.model_dump()))


async def create_tier(session: AsyncSession, data: TierCreate) -> TierPublic:
    if len(await repository.list_tiers(session)) >= MAX_TIERS:
        raise Conflict(f"There are already {MAX_TIERS} tiers; delete one first")
    if await repository.get_tier(session, data.name) is not None:
        raise Conflict(f"A tier named {data.name!r} already exists")
    if data.is_default:
        await repository.clear_default(session)
    session.add(Tier(name=data.name, description=data.description, is_default=data.is_default))
    try:
        await session.flush()
    except IntegrityError:  # a concurrent request created the same name
        raise Conflict(f"A tier named {data.name!r} already exists") from None
    _add_limits(session, data.name, data.limits)
    await session.flush()
    return await get_tier(session, data.name)


async def update_tier(session: AsyncSession, name: str, data: TierUpdate) -> TierPublic:
    tier = await _tier(session, name, for_update=True)
    if data.is_default is False and tier.is_default:
        raise Conflict("There must be a default tier: make another tier the default instead")
    if data.is_default and not tier.is_default:
        await repository.clear_default(session)
        await session.flush()
        tier.is_default = True
    if data.description is not None:
        tier.description = data.description
    tier.updated_at = utcnow()
    session.add(tier)
    await session.flush()
    return await get_tier(session, name)


async def replace_limits(session: AsyncSession, name: str, limits: Sequence[TierLimitIn]) -> TierPublic:
    tier = await _tier(session, name, for_update=True)
    await session.execute(delete(TierLimit).where(col(TierLimit.tier_name) == name))
    _add_limits(session, name, limits)
    tier.updated_at = utcnow()
    session.add(tier)
    await session.flush()
    return await get_tier(session, name)


async def delete_tier(session: AsyncSession, name: str) -> None:
    tier = await _tier(session, name, for_update=True)
    if tier.is_default:
        raise Conflict("The default tier cannot be deleted: make another tier the default first")
    users = await repository.users_in_tier(session, name)
    if users:
        raise Conflict(f"{users} account(s) are on tier {name!r}: move them to another tier first")
    await session.delete(tier)
    try:
        await session.flush()
    except IntegrityError:  # an account joined the tier meanwhile
        raise Conflict(f"Accounts are on tier {name!r}: move them to another tier first") from None

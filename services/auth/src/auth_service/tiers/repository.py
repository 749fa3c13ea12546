"""Queries about tiers and their limits, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from auth_service.accounts.models import DEFAULT_TIER, User
from auth_service.tiers.models import Tier, TierLimit

__all__ = [
    "all_limits",
    "clear_default",
    "ensure_default_tier",
    "get_tier",
    "limits_of",
    "list_tiers",
    "users_in_tier",
]

#: What a fresh database gets when no tier exists (the migration seeds the same).
SEED_LIMITS = (("/api/", 120_000, 60),)


async def list_tiers(session: AsyncSession) -> Sequence[Tier]:
    return (await session.execute(select(Tier).order_by(col(Tier.name)))).scalars().all()


async def get_tier(session: AsyncSession, name: str, *, for_update: bool = False) -> Tier | None:
    query = select(Tier).where(col(Tier.name) == name)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalars().first()


async def limits_of(session: AsyncSession, names: Sequence[str]) -> Sequence[TierLimit]:
    query = (
        select(TierLimit)
        .where(col(TierLimit.tier_name).in_(names))
        .order_by(col(TierLimit.tier_name), col(TierLimit.path_prefix), col(TierLimit.period_seconds))
    )
    return (await session.execute(query)).scalars().all()


async def all_limits(session: AsyncSession) -> tuple[Sequence[Tier], Sequence[TierLimit]]:
    tiers = await list_tiers(session)
    return tiers, await limits_of(session, [t.name for t in tiers])


async def clear_default(session: AsyncSession) -> None:
    await session.execute(update(Tier).where(col(Tier.is_default)).values(is_default=False))


async def users_in_tier(session: AsyncSession, name: str) -> int:
    return int(
        (
            await session.execute(select(func.count()).select_from(User).where(col(User.tier) == name))
        ).scalar_one()
    )


async def ensure_default_tier(session: AsyncSession) -> None:
    """Create the default tier with generous limits when the database has none (first start)."""
    has_default = (
        await session.execute(select(func.count()).select_from(Tier).where(col(Tier.is_default)))
    ).scalar_one()
    if has_default:
        return
    created = await session.execute(
        pg_insert(Tier)
        .values(name=DEFAULT_TIER, description="Default tier for every new account", is_default=True)
        .on_conflict_do_update(index_elements=[col(Tier.name)], set_={"is_default": True})
        .returning(col(Tier.name))
    )
    if created.first() is None:
        return
    existing = await limits_of(session, [DEFAULT_TIER])
    if not existing:
        for prefix, count, period in SEED_LIMITS:
            session.add(
                TierLimit(
                    tier_name=DEFAULT_TIER, path_prefix=prefix, request_limit=count, period_seconds=period
                )
            )
    await session.flush()

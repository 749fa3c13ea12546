"""Admin endpoints for tiers and their limits (``/api/v1/auth/admin/tiers``).

After a change commits, every auth process is told to reload its in-memory limits (a background
task runs after the response, hence after the commit); forwardAuth applies them from then on.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Path, status

from auth_service.dependencies import AdminDep, TierCacheDep
from auth_service.tiers import service
from auth_service.tiers.schemas import (
    TIER_NAME_PATTERN,
    TierCreate,
    TierLimitsReplace,
    TierPublic,
    TierUpdate,
)
from common import SessionDep
from common.openapi import error_responses, link

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/auth/admin/tiers",
    tags=["admin"],
    responses=error_responses(401, (403, "Not an admin"), 429),
)
_NO_TIER = (404, "No such tier")
_ITEM = "/api/v1/auth/admin/tiers/{name}"
_NAME = "$response.body#/name"
_CREATED_LINKS = {
    "GetTier": link("GET", _ITEM, "Read the new tier", name=_NAME),
    "UpdateTier": link("PATCH", _ITEM, "Change the new tier", name=_NAME),
    "ReplaceLimits": link("PUT", f"{_ITEM}/limits", "Replace the new tier's limits", name=_NAME),
    "DeleteTier": link("DELETE", _ITEM, "Delete the new tier", name=_NAME),
}
_BODY = error_responses(400, 413)

NamePath = Annotated[str, Path(max_length=32, pattern=TIER_NAME_PATTERN)]


@router.get("", response_model=list[TierPublic])
async def list_tiers(_: AdminDep, session: SessionDep) -> list[TierPublic]:
    """Every tier with its limits."""
    return await service.list_tiers(session)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TierPublic,
    responses={
        201: {"description": "The tier", "links": _CREATED_LINKS},
        **_BODY,
        **error_responses((409, "The name is taken, or there are as many tiers as allowed")),
    },
)
async def create_tier(
    data: TierCreate, _: AdminDep, session: SessionDep, cache: TierCacheDep, background: BackgroundTasks
) -> TierPublic:
    """Create a tier with its limits."""
    tier = await service.create_tier(session, data)
    background.add_task(cache.notify)
    return tier


@router.get("/{name}", response_model=TierPublic, responses=error_responses(_NO_TIER))
async def get_tier(name: NamePath, _: AdminDep, session: SessionDep) -> TierPublic:
    """One tier with its limits."""
    return await service.get_tier(session, name)


@router.patch(
    "/{name}",
    response_model=TierPublic,
    responses={**_BODY, **error_responses(_NO_TIER, (409, "The default tier cannot stop being the default"))},
)
async def update_tier(
    name: NamePath,
    data: TierUpdate,
    _: AdminDep,
    session: SessionDep,
    cache: TierCacheDep,
    background: BackgroundTasks,
) -> TierPublic:
    """Change a tier's description, or make it the default tier."""
    tier = await service.update_tier(session, name, data)
    background.add_task(cache.notify)
    return tier


@router.put("/{name}/limits", response_model=TierPublic, responses={**_BODY, **error_responses(_NO_TIER)})
async def replace_limits(
    name: NamePath,
    data: TierLimitsReplace,
    _: AdminDep,
    session: SessionDep,
    cache: TierCacheDep,
    background: BackgroundTasks,
) -> TierPublic:
    """Replace the tier's limits with this list (an empty list removes them all)."""
    tier = await service.replace_limits(session, name, data.limits)
    background.add_task(cache.notify)
    return tier


@router.delete(
    "/{name}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(
        _NO_TIER, (409, "The default tier, or a tier some accounts are on, cannot be deleted")
    ),
)
async def delete_tier(
    name: NamePath, _: AdminDep, session: SessionDep, cache: TierCacheDep, background: BackgroundTasks
) -> None:
    """Delete a tier no account uses (the default tier cannot be deleted)."""
    await service.delete_tier(session, name)
    background.add_task(cache.notify)

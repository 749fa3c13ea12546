"""Admin endpoints for accounts (``/api/v1/auth/admin/users``): thin, admin role required."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from auth_service.accounts.schemas import NO_NUL
from auth_service.admin import service
from auth_service.admin.schemas import RoleUpdate, TierAssign, UserAdminPublic, UserPage
from auth_service.dependencies import AdminDep, State
from common import SessionDep
from common.openapi import error_responses
from common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/auth/admin/users",
    tags=["admin"],
    responses=error_responses(401, (403, "Not an admin"), 429),
)
_NO_USER = (404, "No such account")
_BODY = error_responses(400, 413)


@router.get("", response_model=UserPage, responses=error_responses((400, "A bad cursor")))
async def list_users(
    _: AdminDep,
    session: SessionDep,
    q: Annotated[
        str | None, Query(max_length=100, pattern=NO_NUL, description="part of an e-mail or username")
    ] = None,
    role: Literal["user", "admin"] | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> UserPage:
    """Accounts, newest first, optionally filtered; page with next_cursor."""
    return await service.list_users(session, search=q, role=role, limit=limit, cursor=cursor)


@router.get("/{user_id}", response_model=UserAdminPublic, responses=error_responses(_NO_USER))
async def get_user(user_id: uuid.UUID, _: AdminDep, session: SessionDep) -> Any:
    """One account."""
    return await service.get_user(session, user_id)


@router.put(
    "/{user_id}/role",
    response_model=UserAdminPublic,
    responses={**_BODY, **error_responses(_NO_USER, (409, "An admin cannot change their own role"))},
)
async def set_role(
    user_id: uuid.UUID, data: RoleUpdate, me: AdminDep, session: SessionDep, state: State
) -> Any:
    """Change an account's role; it is signed out everywhere so the change applies at once."""
    return await service.set_role(session, state, me.user_id, user_id, data.role)


@router.put(
    "/{user_id}/tier",
    response_model=UserAdminPublic,
    responses={**_BODY, **error_responses((400, "No such tier (or a body that cannot be parsed)"), _NO_USER)},
)
async def set_tier(user_id: uuid.UUID, data: TierAssign, _: AdminDep, session: SessionDep) -> Any:
    """Move an account to another tier (its tokens carry the new tier from the next refresh)."""
    return await service.set_tier(session, user_id, data.tier)


@router.post(
    "/{user_id}/deactivate",
    response_model=UserAdminPublic,
    responses=error_responses(_NO_USER, (409, "An admin cannot deactivate their own account")),
)
async def deactivate(user_id: uuid.UUID, me: AdminDep, session: SessionDep, state: State) -> Any:
    """Deactivate an account: it cannot sign in and every session is signed out at once."""
    return await service.set_active(session, state, me.user_id, user_id, active=False)


@router.post(
    "/{user_id}/reactivate",
    response_model=UserAdminPublic,
    responses=error_responses(_NO_USER),
)
async def reactivate(user_id: uuid.UUID, me: AdminDep, session: SessionDep, state: State) -> Any:
    """Let a deactivated account sign in again."""
    return await service.set_active(session, state, me.user_id, user_id, active=True)

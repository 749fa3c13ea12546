"""Signing in and out, and the caller's devices: thin endpoints, one service call each."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Response, status

from auth_service.dependencies import DeviceDep, SettingsDep, SignedIn, State
from auth_service.sessions import service
from auth_service.sessions.cookies import PresentedRefreshToken, clear_session_cookies, set_session_cookies
from auth_service.sessions.manager import DeviceInfo
from auth_service.sessions.schemas import LoginForm, LoginRequest, SessionPublic, TokenPair
from common import SessionDep
from common.errors import JSON_ALTERNATIVE
from common.openapi import error_responses, link

__all__ = ["router"]

#: Through the gateway every route is rate limited; the signed-in ones also refuse a bad token (401).
router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=error_responses(429))

_BODY = error_responses(400, 413)
_BAD_LOGIN = (401, "Wrong username or password, or a deactivated account")
_SIGNED_IN_ONLY = error_responses(401)


_SIGNED_IN = {
    "description": "A new session's tokens",
    "links": {
        "RevokeSession": link(
            "DELETE",
            "/api/v1/auth/sessions/{session_id}",
            "Sign this session out from another one",
            session_id="$response.body#/session_id",
        )
    },
}


@router.post(
    "/login",
    response_model=TokenPair,
    responses={
        200: _SIGNED_IN,
        **_BODY,
        **error_responses(_BAD_LOGIN, (415, "Not a form; JSON goes to /api/v1/auth/login/json")),
    },
    # A JSON body sent here gets a 415 naming the JSON route (common.errors).
    openapi_extra={JSON_ALTERNATIVE: "/api/v1/auth/login/json"},
)
async def login(
    form: Annotated[LoginForm, Form()],
    session: SessionDep,
    state: State,
    device: DeviceDep,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Sign in with the OAuth2 password form (username or e-mail); tokens in the body and a cookie."""
    pair = await service.login(session, state, form.username, form.password, device)
    set_session_cookies(response, pair, settings)
    return pair


@router.post(
    "/login/json",
    response_model=TokenPair,
    responses={200: _SIGNED_IN, **_BODY, **error_responses(_BAD_LOGIN)},
)
async def login_json(
    data: LoginRequest,
    session: SessionDep,
    state: State,
    device: DeviceDep,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Sign in with a JSON body; tokens in the body and a cookie."""
    if data.platform:
        device = DeviceInfo(user_agent=device.user_agent, ip=device.ip, platform=data.platform)
    pair = await service.login(session, state, data.login, data.password, device)
    set_session_cookies(response, pair, settings)
    return pair


@router.post(
    "/refresh",
    response_model=TokenPair,
    responses={
        **_BODY,
        **error_responses(
            (401, "No refresh token, or an invalid, expired, reused or signed-out one"),
            (403, "The refresh cookie without a matching X-CSRF-Token"),
        ),
    },
)
async def refresh(
    token: PresentedRefreshToken,
    session: SessionDep,
    state: State,
    device: DeviceDep,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Trade a refresh token (body, or cookie plus X-CSRF-Token) for a new pair; the old one dies."""
    pair = await service.refresh(session, state, token, device)
    set_session_cookies(response, pair, settings)
    return pair


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN_ONLY)
async def logout(
    user: SignedIn, session: SessionDep, state: State, settings: SettingsDep, response: Response
) -> None:
    """Sign this session out; its tokens stop working at once."""
    await service.logout(session, state, user.user_id, user.session_id)
    clear_session_cookies(response, settings)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN_ONLY)
async def logout_all(
    user: SignedIn, session: SessionDep, state: State, settings: SettingsDep, response: Response
) -> None:
    """Sign every session of this account out, this one included."""
    await service.logout_all(session, state, user.user_id)
    clear_session_cookies(response, settings)


@router.get("/sessions", response_model=list[SessionPublic], responses=_SIGNED_IN_ONLY)
async def list_sessions(user: SignedIn, session: SessionDep, state: State) -> Any:
    """The caller's signed-in devices, most recently used first."""
    return await service.list_sessions(session, state, user.user_id, user.session_id)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, (404, "No such session of the caller's")),
)
async def revoke_session(session_id: uuid.UUID, user: SignedIn, session: SessionDep, state: State) -> None:
    """Sign one of the caller's devices out."""
    await service.revoke_session(session, state, user.user_id, session_id)

"""Auth's sign-in surface: thin endpoints, one service call each."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response, status

from auth_service.cookies import PresentedRefreshToken, clear_session_cookies, set_session_cookies
from auth_service.dependencies import (
    AuthServiceDep,
    ClientIPDep,
    DeviceDep,
    KeyRingDep,
    SettingsDep,
    SignedIn,
)
from auth_service.forward_auth import ForwardAuth
from auth_service.schemas import LoginForm, LoginRequest, SessionPublic, TokenPair, UserCreate, UserPublic
from auth_service.sessions import DeviceInfo
from common import SessionDep

__all__ = ["internal_router", "public_router", "router"]

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
public_router = APIRouter(tags=["auth"])
internal_router = APIRouter(prefix="/internal", include_in_schema=False)


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
async def register(data: UserCreate, session: SessionDep, auth: AuthServiceDep, ip: ClientIPDep) -> Any:
    """Create an account; a verification e-mail follows."""
    return await auth.register(session, data, ip)


@router.post("/login", response_model=TokenPair)
async def login(
    form: Annotated[LoginForm, Form()],
    session: SessionDep,
    auth: AuthServiceDep,
    device: DeviceDep,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Sign in with the OAuth2 password form (username or e-mail); tokens in the body and a cookie."""
    pair = await auth.login(session, form.username, form.password, device)
    set_session_cookies(response, pair, settings)
    return pair


@router.post("/login/json", response_model=TokenPair)
async def login_json(
    data: LoginRequest,
    session: SessionDep,
    auth: AuthServiceDep,
    device: DeviceDep,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Sign in with a JSON body; tokens in the body and a cookie."""
    if data.platform:
        device = DeviceInfo(user_agent=device.user_agent, ip=device.ip, platform=data.platform)
    pair = await auth.login(session, data.login, data.password, device)
    set_session_cookies(response, pair, settings)
    return pair


@router.post("/refresh", response_model=TokenPair)
async def refresh(
    token: PresentedRefreshToken,
    session: SessionDep,
    auth: AuthServiceDep,
    device: DeviceDep,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Trade a refresh token (body, or cookie plus X-CSRF-Token) for a new pair; the old one dies."""
    pair = await auth.refresh(session, token, device)
    set_session_cookies(response, pair, settings)
    return pair


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    user: SignedIn, session: SessionDep, auth: AuthServiceDep, settings: SettingsDep, response: Response
) -> None:
    """Sign this session out; its tokens stop working at once."""
    await auth.logout(session, user.user_id, user.session_id)
    clear_session_cookies(response, settings)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT)
async def logout_all(
    user: SignedIn, session: SessionDep, auth: AuthServiceDep, settings: SettingsDep, response: Response
) -> None:
    """Sign every session of this account out, this one included."""
    await auth.logout_all(session, user.user_id)
    clear_session_cookies(response, settings)


@router.get("/sessions", response_model=list[SessionPublic])
async def list_sessions(user: SignedIn, session: SessionDep, auth: AuthServiceDep) -> Any:
    """The caller's signed-in devices, most recently used first."""
    return await auth.list_sessions(session, user.user_id, user.session_id)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_session(
    session_id: uuid.UUID, user: SignedIn, session: SessionDep, auth: AuthServiceDep
) -> None:
    """Sign one of the caller's devices out."""
    await auth.revoke_session(session, user.user_id, session_id)


@router.get("/me", response_model=UserPublic)
async def me(user: SignedIn, session: SessionDep, auth: AuthServiceDep) -> Any:
    """The signed-in user's profile (same as GET /users/me)."""
    return await auth.profile(session, user.user_id)


@router.get("/.well-known/jwks.json")
@public_router.get("/.well-known/jwks.json")
async def jwks(keyring: KeyRingDep, response: Response) -> dict[str, Any]:
    """Public keys that verify access tokens."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return keyring.jwks()


@internal_router.get("/forward-auth")
async def forward_auth(request: Request) -> Response:
    """The gateway's check: 200 with identity headers, 200 without them (anonymous), 401 or 429."""
    checker: ForwardAuth = request.app.state.forward_auth
    return await checker.check(request)

"""Auth's sign-in surface: thin endpoints, one service call each."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Response, status

from auth_service.cookies import PresentedRefreshToken, clear_session_cookies, set_session_cookies
from auth_service.dependencies import (
    AuthServiceDep,
    ClientIPDep,
    DeviceDep,
    KeyRingDep,
    RegisterIdempotency,
    SettingsDep,
    SignedIn,
)
from auth_service.schemas import LoginForm, LoginRequest, SessionPublic, TokenPair, UserCreate, UserPublic
from auth_service.sessions import DeviceInfo
from common import SessionDep
from common.errors import JSON_ALTERNATIVE
from common.openapi import error_responses, link

__all__ = ["public_router", "router"]

#: Through the gateway every route is rate limited; the signed-in ones also refuse a bad token (401).
router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=error_responses(429))
public_router = APIRouter(tags=["auth"], responses=error_responses(429))

_BODY = error_responses(400, 413)
_BAD_LOGIN = (401, "Wrong username or password, or a deactivated account")
_SIGNED_IN_ONLY = error_responses(401)


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses={
        201: {
            "description": "The new account",
            "headers": {
                "Idempotent-Replayed": {
                    "description": "true when this is the first answer to this Idempotency-Key, replayed",
                    "schema": {"type": "string"},
                }
            },
        },
        **_BODY,
        **error_responses(
            (400, "A malformed Idempotency-Key, or a body that cannot be parsed"),
            (
                409,
                "The e-mail address or username is taken, or a request with this Idempotency-Key "
                "is still running",
            ),
            (422, "Invalid fields, or an Idempotency-Key used for another request"),
        ),
    },
)
async def register(
    data: UserCreate,
    session: SessionDep,
    auth: AuthServiceDep,
    ip: ClientIPDep,
    idempotency: RegisterIdempotency,
) -> Response:
    """Create an account; a verification e-mail follows. Send an ``Idempotency-Key`` to retry safely."""
    request_body = data.__pydantic_serializer__.to_json(data)
    replay = await idempotency.begin(session, request_body)
    if replay is not None:
        return replay
    user = UserPublic.model_validate(await auth.register(session, data, ip))
    response = Response(
        user.__pydantic_serializer__.to_json(user),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
    )
    return await idempotency.record(session, request_body, response)


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
    auth: AuthServiceDep,
    device: DeviceDep,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Sign in with the OAuth2 password form (username or e-mail); tokens in the body and a cookie."""
    pair = await auth.login(session, form.username, form.password, device)
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
    auth: AuthServiceDep,
    device: DeviceDep,
    settings: SettingsDep,
    response: Response,
) -> TokenPair:
    """Trade a refresh token (body, or cookie plus X-CSRF-Token) for a new pair; the old one dies."""
    pair = await auth.refresh(session, token, device)
    set_session_cookies(response, pair, settings)
    return pair


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN_ONLY)
async def logout(
    user: SignedIn, session: SessionDep, auth: AuthServiceDep, settings: SettingsDep, response: Response
) -> None:
    """Sign this session out; its tokens stop working at once."""
    await auth.logout(session, user.user_id, user.session_id)
    clear_session_cookies(response, settings)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=_SIGNED_IN_ONLY)
async def logout_all(
    user: SignedIn, session: SessionDep, auth: AuthServiceDep, settings: SettingsDep, response: Response
) -> None:
    """Sign every session of this account out, this one included."""
    await auth.logout_all(session, user.user_id)
    clear_session_cookies(response, settings)


@router.get("/sessions", response_model=list[SessionPublic], responses=_SIGNED_IN_ONLY)
async def list_sessions(user: SignedIn, session: SessionDep, auth: AuthServiceDep) -> Any:
    """The caller's signed-in devices, most recently used first."""
    return await auth.list_sessions(session, user.user_id, user.session_id)


@router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, (404, "No such session of the caller's")),
)
async def revoke_session(
    session_id: uuid.UUID, user: SignedIn, session: SessionDep, auth: AuthServiceDep
) -> None:
    """Sign one of the caller's devices out."""
    await auth.revoke_session(session, user.user_id, session_id)


@router.get("/me", response_model=UserPublic, responses=error_responses(401, (404, "The account is gone")))
async def me(user: SignedIn, session: SessionDep, auth: AuthServiceDep) -> Any:
    """The signed-in user's profile (same as GET /users/me)."""
    return await auth.profile(session, user.user_id)


@router.get("/.well-known/jwks.json")
@public_router.get("/.well-known/jwks.json", name="jwks_well_known")
async def jwks(keyring: KeyRingDep, response: Response) -> dict[str, Any]:
    """Public keys that verify access tokens."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return keyring.jwks()

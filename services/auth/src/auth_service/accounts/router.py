"""Sign-up, the signed-in user's own account, passwords and e-mail verification: thin endpoints.

``GET /api/v1/auth/users/me`` is the profile; ``GET /api/v1/auth/me`` answers the same and is marked
deprecated in the OpenAPI document (kept for the clients that call it).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from auth_service.accounts import service
from auth_service.accounts.schemas import (
    Message,
    PasswordChange,
    PasswordForgot,
    PasswordReset,
    UserCreate,
    UserPublic,
    UserUpdate,
    VerifyEmail,
)
from auth_service.dependencies import (
    ClientIPDep,
    RegisterIdempotency,
    SettingsDep,
    SignedIn,
    State,
)
from auth_service.sessions.cookies import clear_session_cookies
from common import SessionDep
from common.openapi import error_responses

__all__ = ["router"]

#: Through the gateway every route is rate limited; the signed-in ones also refuse a bad token (401).
#: Each route names its tag, the first word of its operation id: sign-up and the deprecated ``/me``
#: are "auth" (as they always were), the rest "account".
router = APIRouter(prefix="/api/v1/auth", responses=error_responses(429))

_BODY = error_responses(400, 413)
_GONE = (404, "The account no longer exists")
_BAD_TOKEN = (400, "The token is invalid, already used or expired (or the body cannot be parsed)")

FORGOT_ANSWER = "If an account uses this e-mail address, a reset link is on its way."


@router.post(
    "/register",
    tags=["auth"],
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
    state: State,
    ip: ClientIPDep,
    idempotency: RegisterIdempotency,
) -> Response:
    """Create an account; a verification e-mail follows. Send an ``Idempotency-Key`` to retry safely."""
    request_body = data.__pydantic_serializer__.to_json(data)
    replay = await idempotency.begin(session, request_body)
    if replay is not None:
        return replay
    user = UserPublic.model_validate(await service.register(session, state, data, ip))
    response = Response(
        user.__pydantic_serializer__.to_json(user),
        status_code=status.HTTP_201_CREATED,
        media_type="application/json",
    )
    return await idempotency.record(session, request_body, response)


@router.get(
    "/me",
    tags=["auth"],
    deprecated=True,
    response_model=UserPublic,
    responses=error_responses(401, (404, "The account is gone")),
)
async def me(user: SignedIn, session: SessionDep) -> Any:
    """The signed-in user's profile: deprecated, the same answer as ``GET /api/v1/auth/users/me``."""
    return await service.profile(session, user.user_id)


@router.get("/users/me", tags=["account"], response_model=UserPublic, responses=error_responses(401, _GONE))
async def read_me(user: SignedIn, session: SessionDep) -> Any:
    """The signed-in user's profile."""
    return await service.profile(session, user.user_id)


@router.patch(
    "/users/me",
    tags=["account"],
    response_model=UserPublic,
    responses={
        **_BODY,
        **error_responses(
            (400, "current_password missing or wrong (a new e-mail needs it)"),
            401,
            _GONE,
            (409, "The e-mail address or username is taken"),
        ),
    },
)
async def update_me(data: UserUpdate, user: SignedIn, session: SessionDep, state: State) -> Any:
    """Change username and/or e-mail (a new e-mail needs current_password and is verified again)."""
    return await service.update_me(session, state, user.user_id, data)


@router.delete(
    "/users/me",
    tags=["account"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, _GONE, (409, "An admin account cannot delete itself")),
)
async def delete_me(
    user: SignedIn,
    session: SessionDep,
    state: State,
    settings: SettingsDep,
    response: Response,
) -> None:
    """Delete the account and sign it out everywhere."""
    await service.delete_me(session, state, user.user_id)
    clear_session_cookies(response, settings)


@router.post(
    "/password/forgot",
    tags=["account"],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Message,
    responses=_BODY,
)
async def forgot_password(
    data: PasswordForgot, session: SessionDep, state: State, ip: ClientIPDep
) -> Message:
    """Ask for a reset e-mail; the answer is the same whether or not the account exists."""
    await service.forgot_password(session, state, data.email, ip)
    return Message(detail=FORGOT_ANSWER)


@router.post(
    "/password/reset",
    tags=["account"],
    response_model=Message,
    responses={**_BODY, **error_responses(_BAD_TOKEN)},
)
async def reset_password(data: PasswordReset, session: SessionDep, state: State) -> Message:
    """Set a new password with the mailed token; every session is signed out."""
    await service.reset_password(session, state, data.token, data.new_password)
    return Message(detail="Password changed; sign in with the new password")


@router.post(
    "/password/change",
    tags=["account"],
    response_model=Message,
    responses={
        **_BODY,
        **error_responses((400, "The current password is wrong, or the new one is refused"), 401, _GONE),
    },
)
async def change_password(data: PasswordChange, user: SignedIn, session: SessionDep, state: State) -> Message:
    """Change the password (the current one is required); other sessions are signed out."""
    count = await service.change_password(
        session, state, user.user_id, user.session_id, data.current_password, data.new_password
    )
    return Message(detail=f"Password changed; {count} other session(s) signed out")


@router.post(
    "/verify/request",
    tags=["account"],
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Message,
    responses=error_responses(401, _GONE, (409, "The e-mail address is already verified")),
)
async def request_verification(user: SignedIn, session: SessionDep, state: State) -> Message:
    """Send a new verification e-mail (the older links stop working)."""
    await service.request_verification(session, state, user.user_id)
    return Message(detail="A verification link is on its way")


@router.post(
    "/verify", tags=["account"], response_model=UserPublic, responses={**_BODY, **error_responses(_BAD_TOKEN)}
)
async def verify_email(data: VerifyEmail, session: SessionDep) -> Any:
    """Confirm the e-mail address with the mailed token; new tokens carry email_verified=true."""
    return await service.verify_email(session, data.token)

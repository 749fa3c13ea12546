"""Auth's HTTP surface: thin endpoints, one service call each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from auth_service.dependencies import AuthServiceDep, DenylistDep, DeviceDep, KeyRingDep, VerifierDep
from auth_service.schemas import TokenPair, UserCreate, UserPublic
from common import CurrentUser, SessionDep, Unauthorized

__all__ = ["internal_router", "public_router", "router"]

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
public_router = APIRouter(tags=["auth"])
internal_router = APIRouter(prefix="/internal", include_in_schema=False)


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserPublic)
async def register(data: UserCreate, session: SessionDep, auth: AuthServiceDep) -> Any:
    """Create an account."""
    return await auth.register(session, data)


@router.post("/login", response_model=TokenPair)
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    auth: AuthServiceDep,
    device: DeviceDep,
) -> TokenPair:
    """Sign in with username (or e-mail) and password; returns an access and a refresh token."""
    return await auth.login(session, form.username, form.password, device)


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser, session: SessionDep, auth: AuthServiceDep) -> Any:
    """The signed-in user's profile."""
    return await auth.profile(session, user.user_id)


@router.get("/.well-known/jwks.json")
@public_router.get("/.well-known/jwks.json")
async def jwks(keyring: KeyRingDep, response: Response) -> dict[str, Any]:
    """Public keys that verify access tokens."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return keyring.jwks()


IDENTITY_HEADERS = (
    "X-User-Id",
    "X-User-Name",
    "X-User-Role",
    "X-Session-Id",
    "X-User-Tier",
    "X-User-Verified",
)


@internal_router.get("/forward-auth")
async def forward_auth(request: Request, verifier: VerifierDep, denylist: DenylistDep) -> Response:
    """The gateway's check: 200 with identity headers, 200 without them (anonymous), or 401."""
    authorization = request.headers.get("authorization")
    if not authorization:
        return Response(status_code=200)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("Use 'Authorization: Bearer <access token>'")
    principal = await verifier.principal(token.strip())
    if await denylist.is_revoked(principal.session_id, principal.token_id):
        raise Unauthorized("Token revoked")
    values = (
        str(principal.user_id),
        principal.username,
        principal.role,
        str(principal.session_id),
        principal.tier,
        "true" if principal.verified else "false",
    )
    return Response(status_code=200, headers=dict(zip(IDENTITY_HEADERS, values, strict=True)))

"""Sessions' request and response bodies, named by suffix."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from auth_service.accounts.schemas import NO_NUL, PASSWORD_MAX, OpaqueToken

__all__ = ["LoginForm", "LoginRequest", "RefreshRequest", "SessionPublic", "TokenPair"]

Platform = Annotated[str, StringConstraints(max_length=64, strip_whitespace=True, pattern=NO_NUL)]


class LoginForm(BaseModel):
    """The OAuth2 password form (what the OpenAPI "Authorize" button sends)."""

    grant_type: Literal["password"] | None = None
    username: str = Field(min_length=1, max_length=254, pattern=NO_NUL, description="username or e-mail")
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    scope: str = Field(default="", max_length=1000)


class LoginRequest(BaseModel):
    """The JSON sign-in, for clients that do not speak the OAuth2 form."""

    model_config = ConfigDict(extra="forbid")

    login: str = Field(min_length=1, max_length=254, pattern=NO_NUL, description="username or e-mail")
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    platform: Platform | None = Field(default=None, description="a name for this device, e.g. 'ios'")


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type)
    expires_in: int = Field(description="access token lifetime in seconds")
    refresh_token: str
    refresh_expires_in: int = Field(
        description="seconds until this refresh token's session ends at the latest"
    )
    session_id: uuid.UUID
    csrf_token: str = Field(description="send as X-CSRF-Token when refreshing with the cookie")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: OpaqueToken | None = Field(
        default=None, description="omit to use the refresh cookie (then X-CSRF-Token is required)"
    )


class SessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    platform: str | None
    user_agent: str | None
    ip: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = False

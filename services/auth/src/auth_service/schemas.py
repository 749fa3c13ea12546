"""Auth's request and response bodies, named by suffix."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

__all__ = ["PASSWORD_MAX", "PASSWORD_MIN", "TokenPair", "UserCreate", "UserPublic"]

PASSWORD_MIN = 10
PASSWORD_MAX = 128
Username = Annotated[
    str, StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$", strip_whitespace=True)
]
Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(max_length=254)
    username: Username = Field(description="3 to 32 letters, digits or underscores")
    password: Password = Field(description=f"{PASSWORD_MIN} to {PASSWORD_MAX} characters")

    @model_validator(mode="after")
    def _password_policy(self) -> UserCreate:
        lowered = self.password.lower()
        if lowered in (self.email.lower(), self.username.lower()):
            raise ValueError("password must not be your e-mail or username")
        return self


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    username: str
    role: str
    tier: str
    email_verified: bool
    created_at: datetime


class TokenPair(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (the OAuth2 token type)
    expires_in: int = Field(description="access token lifetime in seconds")
    refresh_token: str
    session_id: uuid.UUID

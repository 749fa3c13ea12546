"""Accounts' request and response bodies, named by suffix."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

__all__ = [
    "NO_NUL",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "Message",
    "OpaqueToken",
    "PasswordChange",
    "PasswordForgot",
    "PasswordReset",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
    "VerifyEmail",
    "password_policy_error",
]

#: PostgreSQL text cannot hold NUL: a field that reaches a query refuses it (422, not a 500).
NO_NUL = r"^[^\x00]*$"
PASSWORD_MIN = 10
PASSWORD_MAX = 128
Username = Annotated[
    str, StringConstraints(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$", strip_whitespace=True)
]
Password = Annotated[
    str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX, description="10 to 128 characters")
]
Email = Annotated[EmailStr, Field(max_length=254)]
#: What a client sends back: refresh tokens and mailed tokens; bounded so nothing huge is hashed.
OpaqueToken = Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]


def password_policy_error(password: str, *, email: str, username: str) -> str | None:
    """Why ``password`` is refused beyond its length, or None."""
    if password.strip().lower() in (email.lower(), username.lower()):
        return "password must not be your e-mail or username"
    return None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    username: Username = Field(description="3 to 32 letters, digits or underscores")
    password: Password

    @model_validator(mode="after")
    def _password_policy(self) -> UserCreate:
        error = password_policy_error(self.password, email=self.email, username=self.username)
        if error:
            raise ValueError(error)
        return self


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Username | None = None
    email: Email | None = None
    current_password: str | None = Field(
        default=None, max_length=PASSWORD_MAX, description="required to change the e-mail address"
    )


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    username: str
    role: str
    tier: str
    email_verified: bool
    created_at: datetime
    updated_at: datetime


class PasswordForgot(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: OpaqueToken
    new_password: Password


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new_password: Password


class VerifyEmail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: OpaqueToken


class Message(BaseModel):
    detail: str

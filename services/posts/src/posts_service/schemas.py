"""Posts' request and response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = ["AuthorPublic", "PostCreate", "PostPage", "PostPublic"]

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Content = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title = Field(description="1 to 200 characters")
    content: Content = Field(description="1 to 20,000 characters")
    published: bool = True


class AuthorPublic(BaseModel):
    id: uuid.UUID
    username: str


class PostPublic(BaseModel):
    id: uuid.UUID
    title: str
    content: str
    published: bool
    author: AuthorPublic
    vote_count: int
    created_at: datetime
    updated_at: datetime


class PostPage(BaseModel):
    items: list[PostPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last")

"""Posts' request and response bodies, and the listing's query parameters."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints, model_validator

from common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

__all__ = [
    "AuthorPublic",
    "DeletedPostPage",
    "DeletedPostPublic",
    "FeedParams",
    "PostCreate",
    "PostPage",
    "PostPublic",
    "PostReplace",
    "PostUpdate",
    "Sort",
]

#: PostgreSQL text cannot hold NUL; refusing it here turns a would-be 500 into a clear 422.
_NO_NUL = r"^[^\x00]*$"
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_NUL)
]
Content = Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=_NO_NUL)]
#: Usernames as auth allows them (letters, digits, underscore); "[deleted]" can never match.
Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,32}$")]
MAX_PAGE_NUMBER = 1000
SEARCH_MAX_LENGTH = 200


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title = Field(description="1 to 200 characters")
    content: Content = Field(description="1 to 20,000 characters")
    published: bool = True


class PostReplace(BaseModel):
    """``PUT``: every field, as the post should be afterwards."""

    model_config = ConfigDict(extra="forbid")

    title: Title = Field(description="1 to 200 characters")
    content: Content = Field(description="1 to 20,000 characters")
    published: bool


class PostUpdate(BaseModel):
    """``PATCH``: only the fields sent change; at least one, and none may be null."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    content: Content | None = None
    published: bool | None = None

    @model_validator(mode="after")
    def _some_and_not_null(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one of title, content, published")
        nulls = sorted(name for name in self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        return self

    def changes(self) -> dict[str, Any]:
        return self.model_dump(include=self.model_fields_set)


class AuthorPublic(BaseModel):
    id: uuid.UUID
    username: str = Field(description='the author\'s current username; "[deleted]" once the account is gone')


class PostPublic(BaseModel):
    id: uuid.UUID
    title: str
    content: str
    published: bool
    author: AuthorPublic
    vote_count: int
    created_at: datetime
    updated_at: datetime
    #: The votes seq ``vote_count`` reflects (not sent): a reader's own newer votes are overlaid.
    _vote_seq: int = PrivateAttr(default=0)

    @property
    def vote_seq(self) -> int:
        return self._vote_seq

    def at_seq(self, seq: int) -> Self:
        self._vote_seq = seq
        return self


class DeletedPostPublic(PostPublic):
    deleted_at: datetime
    purge_after: datetime = Field(description="when the post is removed for good (no restore after that)")


class PostPage(BaseModel):
    items: list[PostPublic]
    has_more: bool
    next_cursor: str | None = Field(
        default=None,
        description=(
            "cursor mode: pass as ?cursor= (with limit) for the next page; null on the last. Page mode"
            f" stops at page {MAX_PAGE_NUMBER}: that page, when more posts follow, carries a next_cursor"
            " to go on in cursor mode (same q, author and sort; size becomes limit)"
        ),
    )
    total: int | None = Field(
        default=None,
        description=(
            "page mode only: how many posts match; exact up to FEED_EXACT_COUNT_LIMIT (10,000 by"
            " default), beyond that the database planner's estimate (then total_is_estimate is true)"
        ),
    )
    total_is_estimate: bool | None = Field(
        default=None, description="page mode only: whether total is an estimate (see total)"
    )
    page: int | None = None
    size: int | None = None


class DeletedPostPage(BaseModel):
    items: list[DeletedPostPublic]
    total: int
    page: int
    size: int
    has_more: bool


class Sort(StrEnum):
    NEW = "new"
    TOP = "top"
    RELEVANCE = "relevance"


class FeedParams(BaseModel):
    """``GET /posts`` query. Cursor mode (``limit``, ``cursor``) unless ``page`` or ``size`` is given."""

    q: str | None = Field(
        default=None,
        max_length=SEARCH_MAX_LENGTH,
        pattern=_NO_NUL,
        description="full-text search in title and content (web-search syntax: quotes, or, -not)",
    )
    author: uuid.UUID | Username | None = Field(
        default=None, description="only this user's posts: their id (`author.id` of a post) or username"
    )
    sort: Sort | None = Field(
        default=None, description="new (default), top (most votes), relevance (default with q)"
    )
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="cursor mode page size")
    cursor: str | None = Field(default=None, max_length=512)
    page: int | None = Field(
        default=None,
        ge=1,
        le=MAX_PAGE_NUMBER,
        description=f"page mode: 1-based page, at most {MAX_PAGE_NUMBER} (then go on with its next_cursor)",
    )
    size: int | None = Field(default=None, ge=1, le=MAX_PAGE_SIZE, description="page mode page size")

    @property
    def search(self) -> str | None:
        """The search text, or None when there is nothing to search for (blank counts as none)."""
        text = (self.q or "").strip()
        return text or None

    @property
    def page_mode(self) -> bool:
        return self.page is not None or self.size is not None

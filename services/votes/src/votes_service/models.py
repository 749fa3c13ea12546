"""Votes' tables: votes (owned here) and known posts (a read model fed by posts' events)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, func
from sqlmodel import Field, SQLModel

__all__ = ["KnownPost", "Vote", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Vote(SQLModel, table=True):
    """One vote per user per post: the primary key enforces it."""

    __tablename__ = "votes"

    user_id: uuid.UUID = Field(primary_key=True)
    post_id: uuid.UUID = Field(primary_key=True, index=True)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class KnownPost(SQLModel, table=True):
    __tablename__ = "known_posts"

    post_id: uuid.UUID = Field(primary_key=True)
    author_id: uuid.UUID | None = None
    published: bool = True
    deleted: bool = False
    #: ``changed_at`` of the newest posts event applied; older events arrive late and are ignored.
    changed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )

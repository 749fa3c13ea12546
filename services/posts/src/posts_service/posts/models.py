"""Posts' tables: posts (owned here) and authors (a read model fed by auth's events).

``posts.search_vector`` (a generated tsvector, see the 20261124 migration) is deliberately not mapped:
it is only ever read inside SQL, and loading it with every row would waste the feed's time.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, Computed, DateTime, Index, Text, func, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Field, SQLModel

from common.db import utcnow

__all__ = ["Author", "Post", "timestamp_column"]


def timestamp_column(nullable: bool = False) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable, server_default=None if nullable else func.now())


class Post(SQLModel, table=True):
    __tablename__ = "posts"
    __table_args__ = (
        Index(
            "ix_posts_feed",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        # Declared for the schema only (excluded from the mapper below, so never loaded).
        Column(
            "search_vector",
            TSVECTOR,
            Computed(
                "setweight(to_tsvector('english'::regconfig, (title)::text), 'A'::\"char\") || "
                "setweight(to_tsvector('english'::regconfig, content), 'B'::\"char\")",
                persisted=True,
            ),
        ),
        Index("ix_posts_search", "search_vector", postgresql_using="gin"),
        Index(
            "ix_posts_top",
            text("vote_count DESC"),
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_posts_author_feed",
            "author_id",
            text("created_at DESC"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_posts_drafts",
            "author_id",
            postgresql_where=text("deleted_at IS NULL AND published IS false"),
        ),
        Index(
            "ix_posts_deleted",
            text("deleted_at DESC"),
            text("id DESC"),
            postgresql_where=text("deleted_at IS NOT NULL"),
        ),
    )
    __mapper_args__ = {"exclude_properties": ["search_vector"]}

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    author_id: uuid.UUID = Field(index=True)
    title: str = Field(max_length=200)
    content: str = Field(sa_type=Text)
    published: bool = True
    #: Replica of the votes service's count, kept by ``votes.vote.*`` events.
    vote_count: int = 0
    #: The per-post seq of the votes event ``vote_count`` reflects; an event with a lower one is stale.
    vote_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    deleted_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class Author(SQLModel, table=True):
    """Public profile of a user, replicated from auth. ``updated_at`` orders out-of-order updates."""

    __tablename__ = "authors"
    __table_args__ = (
        Index("ix_authors_username_lower", text("lower(username)")),
        Index("ix_authors_inactive", "user_id", postgresql_where=text("active IS false")),
    )

    user_id: uuid.UUID = Field(primary_key=True)
    username: str = Field(max_length=32)
    updated_at: datetime = Field(sa_column=timestamp_column())
    deleted: bool = False
    #: False while auth has the account deactivated: the author's posts are hidden from every read.
    active: bool = True

"""Votes' tables: votes (owned here), their per-post tallies, and known posts (a read model fed by
posts' events)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, func, text
from sqlmodel import Field, SQLModel

from common.db import utcnow

__all__ = ["KnownPost", "Vote", "VotePurge", "VoteTally"]


class Vote(SQLModel, table=True):
    """One vote per user per post: the primary key enforces it."""

    __tablename__ = "votes"
    __table_args__ = (
        # A user's votes, newest first (the 20261123 migration).
        Index("ix_votes_user_recent", "user_id", text("created_at DESC"), text("post_id DESC")),
    )

    user_id: uuid.UUID = Field(primary_key=True)
    post_id: uuid.UUID = Field(primary_key=True, index=True)
    created_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class VoteTally(SQLModel, table=True):
    """A post's vote count and change sequence, kept by triggers on ``votes`` (20261201 migration).

    Never written by the application: every insert into or delete from ``votes`` moves it in the
    same statement, so it always equals the rows. ``seq`` grows by one with each statement that
    changed the post's votes; events carry both, so consumers can order them.
    """

    __tablename__ = "vote_tallies"

    post_id: uuid.UUID = Field(primary_key=True)
    vote_count: int
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))


class VotePurge(SQLModel, table=True):
    """A deleted user whose votes are still being removed (see ``votes/purge.py``)."""

    __tablename__ = "vote_purges"

    user_id: uuid.UUID = Field(primary_key=True)
    requested_at: datetime = Field(
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

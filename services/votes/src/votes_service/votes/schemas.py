"""Votes' response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["MyVote", "MyVotesPage", "VoteState", "VoteTallies", "VoteTalliesQuery", "VoteTallyPublic"]


class VoteState(BaseModel):
    post_id: uuid.UUID
    voted: bool = Field(description="whether the caller's vote stands after this request")
    changed: bool = Field(
        description="false when the request was a no-op (already voted / nothing to retract)"
    )


class MyVote(BaseModel):
    post_id: uuid.UUID
    created_at: datetime


class MyVotesPage(BaseModel):
    items: list[MyVote]
    next_cursor: str | None


class VoteTalliesQuery(BaseModel):
    """``POST /internal/votes/tallies``: the posts to report on."""

    post_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


class VoteTallyPublic(BaseModel):
    post_id: uuid.UUID
    vote_count: int
    seq: int = Field(description="the post's change sequence; 0 if nobody ever voted for it")


class VoteTallies(BaseModel):
    tallies: list[VoteTallyPublic]

"""Votes' response bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

__all__ = ["MyVote", "MyVotesPage", "VoteState"]


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

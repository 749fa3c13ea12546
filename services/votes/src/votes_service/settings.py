"""Votes' settings."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from common import ServiceSettings

__all__ = ["VotesSettings", "get_settings"]


class VotesSettings(ServiceSettings):
    service_name: str = "votes"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/votes"
    #: Posts' internal address, asked when the read model does not know a post yet.
    posts_url: str = "http://127.0.0.1:8002"
    #: How long a vote may wait for posts' answer before the client gets a 503 instead of a hang.
    posts_timeout_seconds: float = Field(default=3.0, gt=0, le=30)
    #: Vote stuffing limit: this many vote changes (cast or retract) per user per window.
    vote_rate_limit: int = Field(default=30, ge=1)
    vote_rate_period_seconds: int = Field(default=60, ge=1, le=86_400)
    #: How often pending removals of deleted users' votes are looked for (a deletion also wakes it).
    vote_purge_interval_seconds: float = Field(default=30.0, gt=0)


@lru_cache
def get_settings() -> VotesSettings:
    return VotesSettings()

"""Votes' settings."""

from __future__ import annotations

from functools import lru_cache

from common import ServiceSettings

__all__ = ["VotesSettings", "get_settings"]


class VotesSettings(ServiceSettings):
    service_name: str = "votes"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/votes"
    #: Posts' internal address, asked when the read model does not know a post yet.
    posts_url: str = "http://127.0.0.1:8002"


@lru_cache
def get_settings() -> VotesSettings:
    return VotesSettings()

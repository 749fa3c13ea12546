"""Posts' settings."""

from __future__ import annotations

from functools import lru_cache

from common import ServiceSettings

__all__ = ["PostsSettings", "get_settings"]


class PostsSettings(ServiceSettings):
    service_name: str = "posts"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/posts"
    title_max_length: int = 200
    content_max_length: int = 20_000


@lru_cache
def get_settings() -> PostsSettings:
    return PostsSettings()

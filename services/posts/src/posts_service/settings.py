"""Posts' settings: one small typed class. Request-shape limits (page size, search length) live in
``schemas.py`` so OpenAPI shows them; the limits an operator may tune live here."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field

from common import ServiceSettings
from common.storage_config import StorageSettings

__all__ = ["PostsSettings", "get_settings"]


class PostsSettings(ServiceSettings, StorageSettings):
    service_name: str = "posts"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/posts"
    title_max_length: int = 200
    content_max_length: int = 20_000

    # --- caching ---------------------------------------------------------------------------------
    #: How long a rendered public response may live in Redis (writes and events invalidate sooner).
    cache_ttl_seconds: int = 60
    #: ``Cache-Control: public, max-age`` for anonymous reads (browsers and shared caches).
    public_max_age_seconds: int = 5
    #: Feed pages cached in Redis: the first page of the cursor feed and pages 1..N.
    cache_feed_pages: int = 3
    #: Others' writes and votes show in every reader's feed within this many seconds (the lifetime
    #: of a shared feed page); a reader's own writes show in their next read (README: "Caching").
    feed_staleness_seconds: float = Field(default=1.0, gt=0, le=60)
    #: Page mode counts the matching posts up to this many; beyond, ``total`` is the planner's
    #: estimate (``total_is_estimate``), so no request counts the whole table.
    feed_exact_count_limit: int = Field(default=10_000, ge=1)
    media_max_age_seconds: int = 3600

    # --- optimistic concurrency ------------------------------------------------------------------
    #: Refuse PUT, PATCH and DELETE of a post without If-Match (428), so no edit overwrites blindly.
    require_if_match: bool = False

    # --- vote counts -----------------------------------------------------------------------------
    #: Votes' internal address, asked by ``python -m posts_service.cli reconcile`` for the true counts.
    votes_url: str = "http://127.0.0.1:8003"

    # --- soft delete -----------------------------------------------------------------------------
    #: Deleted posts are kept this long (admins can restore them), then purged.
    post_retention_days: int = 30
    purge_interval_seconds: float = 3600.0

    # --- media -----------------------------------------------------------------------------------
    #: Largest accepted image: the gateway's 10 MiB upload body limit less 64 KiB of multipart framing.
    media_max_bytes: int = 10 * 1024 * 1024 - 64 * 1024
    media_max_per_post: int = 10

    def secret_fields(self) -> dict[str, str]:
        return {**super().secret_fields(), **self.storage_secret_fields()}


@lru_cache
def get_settings() -> PostsSettings:
    return PostsSettings()

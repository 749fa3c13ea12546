"""Worker's settings: where mail goes, where media lives, how jobs retry, how often schedules fire."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr

from common import ServiceSettings
from common.storage_config import StorageSettings

__all__ = ["WorkerSettings", "get_settings"]


class WorkerSettings(ServiceSettings, StorageSettings):
    """Storage fields (``MEDIA_STORAGE``, ``MEDIA_DIR``, ``S3_*``) come from ``StorageSettings``."""

    service_name: str = "worker"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/worker"

    # --- outgoing mail
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=1025, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    mail_from: str = "no-reply@social-posts.local"
    #: Where links in e-mails point (the site users open), e.g. ``https://social.example``.
    public_base_url: str = "http://localhost:8000"
    password_reset_path: str = "/reset-password"  # noqa: S105 (a path, not a password)
    verify_email_path: str = "/verify-email"

    # --- media
    media_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    #: Refuse decompression bombs: a small file may declare a huge canvas.
    media_max_pixels: int = Field(default=40_000_000, ge=1)
    media_max_width: int = Field(default=10_000, ge=1)
    media_max_height: int = Field(default=10_000, ge=1)
    media_original_max_side: int = Field(default=2048, ge=16)
    media_thumbnail_side: int = Field(default=320, ge=16)
    media_webp_quality: int = Field(default=85, ge=1, le=100)

    #: Opens the tokens auth seals into its mail events (``TokenSeal``); auth has the same value.
    #: A default secret: refused outside development and test.
    mail_token_key: SecretStr = SecretStr("change-me-mail-token-key")

    # --- jobs
    #: Attempts before a job is marked failed (and its failure published).
    job_max_attempts: int = Field(default=5, ge=1, le=50)
    job_retry_base_seconds: float = Field(default=5.0, gt=0)
    job_retry_max_seconds: float = Field(default=900.0, gt=0)
    #: A running job's claim lasts this long unless its runner renews it (heartbeat); a runner that
    #: died lets it lapse and another runner takes the job over.
    job_lease_seconds: float = Field(default=60.0, ge=0.5)
    job_timeout_seconds: float = Field(default=120.0, gt=0)
    job_poll_seconds: float = Field(default=1.0, gt=0)
    #: On shutdown, running jobs get this long to finish before they are abandoned to their lease.
    job_shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    #: Concurrency per queue: media is CPU-bound, so it has its own small pool and never delays mail.
    mail_concurrency: int = Field(default=4, ge=1, le=64)
    media_concurrency: int = Field(default=1, ge=1, le=16)
    media_prefetch: int = Field(default=2, ge=1, le=64)

    #: Succeeded and failed jobs are deleted this long after they finished (``retention/service.py``).
    job_retention_hours: int = Field(default=336, ge=1)
    job_prune_interval_seconds: int = Field(default=3600, ge=1)

    # --- schedules
    token_cleanup_interval_seconds: int = Field(default=86_400, ge=1)
    scheduler_poll_seconds: float = Field(default=30.0, gt=0)

    def secret_fields(self) -> dict[str, str]:
        return {
            **super().secret_fields(),
            **self.storage_secret_fields(),
            "smtp_password": self.smtp_password or "",
            "mail_token_key": self.mail_token_key.get_secret_value(),
        }


@lru_cache
def get_settings() -> WorkerSettings:
    return WorkerSettings()

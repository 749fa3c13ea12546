"""Typed settings shared by every service.

Each service subclasses :class:`ServiceSettings`, adds its own fields and reaches it through a cached
getter that tests can override. Values come from the process environment (no prefixes: each process
has its own environment), then from an optional ``.env`` file.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_SECRET_MARKER", "Environment", "ServiceSettings"]

#: Every default secret in the code base contains this marker, so one check can refuse them all.
DEFAULT_SECRET_MARKER = "change-me"  # noqa: S105 (the marker we refuse)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    STAGING = "staging"
    PRODUCTION = "production"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    service_name: str = "service"
    environment: Environment = Environment.DEVELOPMENT
    log_level: str = "INFO"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    database_pool_size: int = 10
    redis_url: str = "redis://127.0.0.1:6379/0"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    jwt_issuer: str = "social-posts-auth"
    jwt_audience: str = "social-posts"
    jwks_url: str = "http://127.0.0.1:8001/.well-known/jwks.json"
    readiness_timeout_seconds: float = 2.0
    #: Run the outbox relay and event consumers inside the web process.
    run_background: bool = True
    #: Sent outbox rows are deleted this long after they were sent.
    outbox_retention_hours: int = Field(default=72, ge=1)
    #: Inbox rows (the consumers' record of applied events) are deleted this long after they were
    #: applied, checked every ``inbox_prune_interval_seconds``; keep it above the outbox retention.
    inbox_retention_hours: int = Field(default=168, ge=1)
    inbox_prune_interval_seconds: int = Field(default=3600, ge=1)
    #: A handler failure is retried after base, 2*base, 4*base, ... ms, one retry queue per delay (a
    #: fixed TTL each, so a long delay never holds up a short one), until this many attempts were
    #: made; then the message goes to ``<svc>.dlq``. Defaults: 8 attempts over about 4 minutes
    #: (2 s to 128 s). An outage of the database or Redis counts no attempt at all.
    consumer_max_attempts: int = Field(default=8, ge=1, le=20)
    consumer_retry_base_ms: int = Field(default=2000, ge=1)
    #: How long an ``Idempotency-Key`` is remembered (``common.idempotency``); a retry after that
    #: runs again.
    idempotency_key_ttl_seconds: int = Field(default=86_400, ge=60)
    #: Prefix for the exchange and every queue, so a test run never meets the dev stack's messages.
    events_prefix: str = ""

    @property
    def is_dev(self) -> bool:
        return self.environment in (Environment.DEVELOPMENT, Environment.TEST)

    def secret_fields(self) -> dict[str, str]:
        """Fields holding secrets; subclasses extend this so the default check covers them."""
        return {"amqp_url": self.amqp_url, "database_url": self.database_url}

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        if self.is_dev:
            return self
        weak = [name for name, value in self.secret_fields().items() if DEFAULT_SECRET_MARKER in value]
        if "guest:guest@" in self.amqp_url:
            weak.append("amqp_url")
        if weak:
            raise ValueError(
                f"default secrets are refused in {self.environment.value}: set {', '.join(sorted(set(weak)))}"
            )
        return self

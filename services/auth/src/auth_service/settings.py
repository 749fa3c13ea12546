"""Auth's settings: the shared ones plus keys and token lifetimes."""

from __future__ import annotations

from functools import lru_cache

from common import ServiceSettings

__all__ = ["AuthSettings", "get_settings"]


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/auth"
    #: Directory of PEM private keys named ``<kid>.pem``; the last by name signs, all verify.
    jwt_private_keys_dir: str = ".dev/keys"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    session_idle_ttl_seconds: int = 14 * 24 * 3600
    #: OWASP's minimum Argon2id parameters: 19 MiB, 2 iterations, 1 lane.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1


@lru_cache
def get_settings() -> AuthSettings:
    return AuthSettings()

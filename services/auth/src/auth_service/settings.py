"""Auth's settings: the shared ones plus keys, token lifetimes, cookies and brute-force limits."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator

from auth_service.forward_auth.client_version import ClientVersion
from common import ServiceSettings
from common.ratelimit import Limit

__all__ = ["AuthSettings", "get_settings"]


class AuthSettings(ServiceSettings):
    service_name: str = "auth"
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/auth"

    # --- signing keys ----------------------------------------------------------------------------
    #: Directory of PEM private keys named ``<kid>.pem``; the last by name signs, all verify.
    jwt_private_keys_dir: str = ".dev/keys"
    #: One more private key as PEM text (a secret store's value). When set, it signs.
    jwt_private_key: SecretStr | None = None
    #: Key id of ``jwt_private_key``; derived from the key (RFC 7638 thumbprint) when empty.
    jwt_private_key_id: str = ""

    #: Seals the single-use tokens auth asks the worker to mail (``TokenSeal``); the worker has the
    #: same value. A default secret: refused outside development and test.
    mail_token_key: SecretStr = SecretStr("change-me-mail-token-key")

    #: How often every process re-reads ``JWT_PRIVATE_KEYS_DIR`` (a rotated key needs no restart).
    jwt_keys_reload_seconds: float = Field(default=30.0, gt=0)

    # --- lifetimes -------------------------------------------------------------------------------
    access_token_ttl_seconds: int = 900
    #: Absolute session lifetime: a session ends this long after sign-in, however active.
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    #: Idle lifetime: a session not refreshed for this long ends.
    session_idle_ttl_seconds: int = 14 * 24 * 3600
    #: Signing in beyond this many sessions signs the least recently used one out.
    max_sessions_per_user: int = Field(default=20, ge=1)
    #: For this long after a refresh, the refresh token it rotated answers with the same new pair
    #: (two tabs refreshing at once) instead of being taken as reuse; 0 turns the grace off.
    refresh_reuse_grace_seconds: int = Field(default=5, ge=0, le=60)
    password_reset_ttl_seconds: int = 3600
    email_verification_ttl_seconds: int = 48 * 3600

    # --- browser transport -----------------------------------------------------------------------
    refresh_cookie_name: str = "refresh_token"
    csrf_cookie_name: str = "csrf_token"
    #: The refresh cookie is only sent to auth's own routes.
    refresh_cookie_path: str = "/api/v1/auth"
    cookie_secure: bool = True
    cookie_samesite: Literal["strict", "lax", "none"] = "strict"
    cookie_domain: str | None = None

    # --- client address --------------------------------------------------------------------------
    #: Take the client address from the last ``X-Forwarded-For`` entry (the gateway writes it).
    #: Only safe because auth is reachable through the gateway alone (NetworkPolicy in k8s).
    trust_forwarded_for: bool = True

    # --- brute-force limits (requests per period, per client address or per account) --------------
    login_ip_limit: int = 30
    login_ip_period_seconds: int = 300
    #: Failed sign-ins per account; successful ones do not count.
    login_account_limit: int = 10
    login_account_period_seconds: int = 900
    register_ip_limit: int = 20
    register_ip_period_seconds: int = 3600
    forgot_ip_limit: int = 10
    forgot_ip_period_seconds: int = 3600
    forgot_account_limit: int = 3
    forgot_account_period_seconds: int = 3600
    verify_request_account_limit: int = 3
    verify_request_account_period_seconds: int = 3600

    # --- clients -----------------------------------------------------------------------------------
    #: Oldest client build served (semver); an older ``X-Client-Version`` gets 426 at the gateway.
    min_client_version: str = "0.0.0"

    # --- tiers -----------------------------------------------------------------------------------
    #: How often every process reloads tier limits even without a change notice (a safety net).
    tier_refresh_seconds: float = 30.0

    # --- first administrator (optional; created at start-up if it does not exist) -----------------
    first_superuser_email: str | None = None
    first_superuser_username: str | None = None
    first_superuser_password: SecretStr | None = None

    #: OWASP's minimum Argon2id parameters: 19 MiB, 2 iterations, 1 lane.
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1

    def secret_fields(self) -> dict[str, str]:
        fields = super().secret_fields()
        fields["mail_token_key"] = self.mail_token_key.get_secret_value()
        if self.first_superuser_password is not None:
            fields["first_superuser_password"] = self.first_superuser_password.get_secret_value()
        if self.jwt_private_key is not None:
            fields["jwt_private_key"] = self.jwt_private_key.get_secret_value()
        return fields

    @model_validator(mode="after")
    def _superuser_complete(self) -> Self:
        given = [self.first_superuser_email, self.first_superuser_username, self.first_superuser_password]
        if any(given) and not all(given):
            raise ValueError(
                "set all of FIRST_SUPERUSER_EMAIL, FIRST_SUPERUSER_USERNAME and FIRST_SUPERUSER_PASSWORD, "
                "or none"
            )
        return self

    @model_validator(mode="after")
    def _client_version_is_semver(self) -> Self:
        try:
            ClientVersion.parse(self.min_client_version)
        except ValueError:
            given = self.min_client_version
            raise ValueError(
                f"MIN_CLIENT_VERSION must be a semantic version such as 1.4.2, got {given!r}"
            ) from None
        return self

    @model_validator(mode="after")
    def _cookie_rules(self) -> Self:
        if self.cookie_samesite == "none" and not self.cookie_secure:
            raise ValueError("COOKIE_SAMESITE=none needs COOKIE_SECURE=true (browsers drop such cookies)")
        return self

    def limit(self, name: str) -> Limit:
        """A brute-force limit by name: ``login_ip`` reads ``login_ip_limit`` and its period."""
        count: int = getattr(self, f"{name}_limit")
        period: int = getattr(self, f"{name}_period_seconds")
        return Limit(count, period)


@lru_cache
def get_settings() -> AuthSettings:
    return AuthSettings()

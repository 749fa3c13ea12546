"""The gateway process's own settings: where the routing table is and how to serve it.

Read from the environment (``GATEWAY_CONFIG``, ``GATEWAY_HOST``, ``GATEWAY_PORT``,
``GATEWAY_UPSTREAM_TIMEOUT``, ``GATEWAY_ACCESS_LOG``, ``WEB_CONCURRENCY``, ``LOG_LEVEL``); command-line
flags override them. Upstream addresses are not settings: the routing table reads ``AUTH_URL``,
``POSTS_URL`` and ``VOTES_URL`` itself through ``{{ env }}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from native_gateway.durations import parse_duration
from native_gateway.errors import ConfigError

__all__ = ["DEFAULT_CONFIG", "Settings"]

# gateway/src/native_gateway/settings.py -> gateway/traefik/dynamic/routes.yml (the workspace install
# is editable, so this is the repository's routing table).
DEFAULT_CONFIG: Final = Path(__file__).resolve().parents[2] / "traefik" / "dynamic" / "routes.yml"
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: Path = DEFAULT_CONFIG
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    upstream_timeout: float | None = None  # None: the serversTransport's, else 30 s
    access_log: bool = True
    workers: int = 1
    log_level: str = "info"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        try:
            timeout = env.get("GATEWAY_UPSTREAM_TIMEOUT")
            return cls(
                config_path=Path(env.get("GATEWAY_CONFIG") or DEFAULT_CONFIG),
                host=env.get("GATEWAY_HOST") or DEFAULT_HOST,
                port=int(env.get("GATEWAY_PORT") or DEFAULT_PORT),
                upstream_timeout=_seconds(timeout) if timeout else None,
                access_log=(env.get("GATEWAY_ACCESS_LOG") or "1").lower() not in ("0", "false", "no", "off"),
                workers=max(1, int(env.get("WEB_CONCURRENCY") or 1)),
                log_level=(env.get("LOG_LEVEL") or "info").lower(),
            )
        except ValueError as exc:
            raise ConfigError(f"invalid gateway environment: {exc}") from exc


def _seconds(value: str) -> float:
    """Seconds as a plain number (``2.5``) or a Go duration (``2500ms``)."""
    try:
        return float(value)
    except ValueError:
        return parse_duration(value)

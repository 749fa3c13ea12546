"""Every upstream connection pool of the gateway, shared per origin, closed at shutdown.

Pools are plain objects (connections open on first use, inside the running loop), so the whole
gateway can be built and validated before serving; the ASGI lifespan shutdown closes what is idle.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from native_gateway.httpclient import Pool

__all__ = ["DEFAULT_UPSTREAM_TIMEOUT", "FORWARD_AUTH_IDLE_TIMEOUT", "FORWARD_AUTH_TIMEOUT", "Pools"]

DEFAULT_UPSTREAM_TIMEOUT: Final = 30.0  # when neither GATEWAY_UPSTREAM_TIMEOUT nor the transport sets one
FORWARD_AUTH_TIMEOUT: Final = 30.0  # Traefik's forwardAuth http.Client timeout
FORWARD_AUTH_IDLE_TIMEOUT: Final = 4.0  # below uvicorn's 5 s keep-alive: never reuse a closing connection


class Pools:
    """Hands out one ``Pool`` per origin and connection settings."""

    def __init__(self) -> None:
        self._pools: dict[tuple[str, float | None, float | None], Pool] = {}

    def get(self, url: str, *, connect_timeout: float | None, idle_timeout: float | None) -> Pool:
        parts = urlsplit(url)
        key = (f"{parts.scheme}://{parts.netloc}", connect_timeout, idle_timeout)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = Pool(key[0], connect_timeout=connect_timeout, idle_timeout=idle_timeout)
        return pool

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()

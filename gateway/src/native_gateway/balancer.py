"""Round-robin over a service's servers, with Traefik's active health checks.

Mirrors Traefik's ``loadBalancer`` with equal weights: servers take turns; a ``healthCheck`` runs once
at start-up and then every ``interval``, a GET to the server's URL resolved against ``path`` that must
answer 2xx or 3xx within ``timeout``. A failing server is taken out of the rotation until a later check
passes. With every server out, the service answers 503 at once instead of trying a dead address.
Servers start in the rotation, as in Traefik, so a gateway started before its upstreams works as soon
as they do. There is no passive check: a refused connection is a 502 until the next active check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from native_gateway.config import HealthCheckConfig, ServiceConfig, TransportConfig
from native_gateway.httpclient import Pool, UpstreamError
from native_gateway.pools import DEFAULT_UPSTREAM_TIMEOUT, Pools

__all__ = ["LoadBalancer", "Server"]

logger = logging.getLogger("native_gateway")

_HEALTHY_STATUS: Final = range(200, 400)


class Server:
    """One upstream address, its connection pool, and whether it is in the rotation."""

    __slots__ = ("base", "healthy", "pool")

    def __init__(self, base: str, pool: Pool) -> None:
        self.base = base
        self.pool = pool
        self.healthy = True


class LoadBalancer:
    """Round-robin selection plus the background health-check loop for one service."""

    def __init__(
        self,
        config: ServiceConfig,
        transport: TransportConfig,
        pools: Pools,
        *,
        upstream_timeout: float | None = None,
    ) -> None:
        self.name = config.name
        self.config = config
        # GATEWAY_UPSTREAM_TIMEOUT when set, else the transport's responseHeaderTimeout, else 30 s
        # (Traefik itself would wait forever without a responseHeaderTimeout).
        if upstream_timeout is None:
            upstream_timeout = transport.response_header_timeout or DEFAULT_UPSTREAM_TIMEOUT
        self.response_timeout = upstream_timeout
        self.servers = [
            Server(
                url,
                pools.get(
                    url,
                    connect_timeout=transport.dial_timeout or None,
                    idle_timeout=transport.idle_conn_timeout or None,
                ),
            )
            for url in config.servers
        ]
        self._next = 0
        self._task: asyncio.Task[None] | None = None

    def pick(self) -> Server | None:
        """The next healthy server in turn, or ``None`` when all are out."""
        servers = self.servers
        count = len(servers)
        for _ in range(count):
            server = servers[self._next % count]
            self._next += 1
            if server.healthy:
                return server
        return None

    def start(self) -> None:
        """Begin health checking (no-op without a ``healthCheck``)."""
        if self.config.health_check is not None and self._task is None:
            self._task = asyncio.create_task(self._run(self.config.health_check), name=f"health-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, check: HealthCheckConfig) -> None:
        while True:
            await asyncio.gather(*(self.check(server, check) for server in self.servers))
            await asyncio.sleep(check.interval)

    async def check(self, server: Server, check: HealthCheckConfig) -> None:
        """Run one health check and move the server in or out of the rotation."""
        try:
            async with asyncio.timeout(check.timeout):
                response = await server.pool.request(
                    "GET", check.path, [(b"host", server.pool.authority)], response_timeout=check.timeout
                )
                await response.read()
            healthy = response.status in _HEALTHY_STATUS
            reason = f"status {response.status}"
        except (UpstreamError, TimeoutError) as exc:
            healthy = False
            reason = str(exc) or type(exc).__name__
        if healthy != server.healthy:
            server.healthy = healthy
            if healthy:
                logger.warning("health check up: server %s of service %s is back", server.base, self.name)
            else:
                logger.warning(
                    "health check failed: server %s of service %s taken out (%s)",
                    server.base,
                    self.name,
                    reason,
                )

"""The native gateway as a pure ASGI application: route, run the router's middleware chain, proxy.

No framework routing layer: routers are tried in priority order against the sanitized routing path,
and the winner's handler chain was composed once at start-up (middlewares wrapping the service's
proxy handler, in the order the router lists them). Unmatched paths get 404, so nothing but the
routing table is reachable (not ``/health/*``, ``/metrics`` or ``/internal/*`` of the services).
One JSON access-log line per request goes to stdout.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, TextIO

from native_gateway.balancer import LoadBalancer
from native_gateway.config import GatewayConfig, RouterConfig, TransportConfig, load_config
from native_gateway.middlewares import build_middleware
from native_gateway.paths import routing_path, sanitize_path
from native_gateway.pools import Pools
from native_gateway.proxy import service_handler
from native_gateway.request import Handler, Receive, Request, Scope, Send
from native_gateway.rules import PathPredicate
from native_gateway.settings import Settings

__all__ = ["GatewayApp", "app_from_env", "create_app"]

logger = logging.getLogger("native_gateway")

_CLIENT_CLOSED: Final = 499  # what Traefik logs when the client went away first


class _Route:
    __slots__ = ("handler", "matches", "name")

    def __init__(self, name: str, matches: PathPredicate, handler: Handler) -> None:
        self.name = name
        self.matches = matches
        self.handler = handler


class GatewayApp:
    """Everything built from one dynamic configuration; the lifespan runs health checks, closes pools."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        upstream_timeout: float | None = None,
        access_log: TextIO | None = sys.stdout,
    ) -> None:
        self.config = config
        self.pools = Pools()
        for middleware in config.middlewares.values():  # refuse bad options even when unused
            build_middleware(middleware, self.pools)
        self.balancers = {
            name: LoadBalancer(
                service,
                config.transports.get(service.transport, TransportConfig()),
                self.pools,
                upstream_timeout=upstream_timeout,
            )
            for name, service in config.services.items()
        }
        services = {name: service_handler(lb) for name, lb in self.balancers.items()}
        self.routes = tuple(
            _Route(router.name, router.matches, self._chain(router, services[router.service]))
            for router in config.routers
        )
        self._access_log = access_log
        self._server_name = socket.gethostname().encode("latin-1", "replace")

    def _chain(self, router: RouterConfig, service: Handler) -> Handler:
        """Compose the router's middlewares around the service, first listed = outermost (as Traefik).

        Each router gets its own middleware instances, as in Traefik (a rateLimit used by two routers
        keeps two sets of buckets).
        """
        handler = service
        for name in reversed(router.middlewares):
            handler = build_middleware(self.config.middlewares[name], self.pools).wrap(handler)
        return handler

    async def startup(self) -> None:
        for balancer in self.balancers.values():
            balancer.start()
        # The routing table and pools live as long as the process: out of the collector's full
        # passes, whose pauses would otherwise stall every request in flight (the p99 of the bench).
        gc.collect()
        gc.freeze()

    async def shutdown(self) -> None:
        for balancer in self.balancers.values():
            await balancer.stop()
        self.pools.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:  # websockets are not routed by the native gateway
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        req = Request(scope, receive, send, server_name=self._server_name)
        logged_path = req.path
        try:
            await self._route(req)
        except Exception:
            logger.exception("unhandled error while proxying %s %s", req.method, logged_path)
            if not req.started:
                await req.respond_json(500, "Internal gateway error")
        finally:
            if self._access_log is not None:
                self._log(req, logged_path, started)

    async def _route(self, req: Request) -> None:
        try:
            req.path = sanitize_path(req.path)
            path = routing_path(req.path)
        except ValueError:
            await req.respond_json(400, "Bad request: invalid percent-encoding in the path")
            return
        for route in self.routes:
            if route.matches(path):
                req.router = route.name
                await route.handler(req)
                return
        await req.respond_json(404, "Not Found")

    def _log(self, req: Request, path: str, started: float) -> None:
        assert self._access_log is not None
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "method": req.method,
            "path": path,
            "status": req.status or _CLIENT_CLOSED,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            "request_id": req.request_id.decode("ascii"),
            "upstream": req.upstream or None,
            "router": req.router or None,
            "client": req.client_ip,
        }
        self._access_log.write(json.dumps(line) + "\n")
        self._access_log.flush()


def create_app(
    config_path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    upstream_timeout: float | None = None,
    access_log: TextIO | None = sys.stdout,
) -> GatewayApp:
    """Load, validate and build; raise ``ConfigError`` on anything the gateway does not implement."""
    config = load_config(config_path, env)
    return GatewayApp(config, upstream_timeout=upstream_timeout, access_log=access_log)


def app_from_env() -> GatewayApp:
    """Factory for ``uvicorn --factory`` worker processes, configured entirely by the environment."""
    settings = Settings.from_env(os.environ)
    return create_app(
        settings.config_path,
        upstream_timeout=settings.upstream_timeout,
        access_log=sys.stdout if settings.access_log else None,
    )

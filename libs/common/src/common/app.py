"""The service application factory: the parts every service has, wired once.

``create_service_app`` returns a FastAPI app whose lifespan opens (and closes) the database engine,
Redis, the event bus, the outbox relay and the JWKS-backed token verifier, registers readiness
checks for each, installs the error handlers, the observability middleware, ``/metrics`` and
``/health/*``, then runs the service's own ``setup`` (consumers, clients) inside that lifespan.
Nothing connects at import time.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import redis.asyncio as aioredis
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse

from common import telemetry
from common.db import Database
from common.edge import edge_errors_router
from common.errors import install_error_handlers
from common.events.bus import EventBus
from common.events.consumer import Consumer
from common.events.handlers import Handlers
from common.events.outbox import OutboxRelay
from common.health import HealthCheck, health_router
from common.http import create_http_client
from common.identity import JWKSKeySource, TokenVerifier, VerifiedTokens, admin_user
from common.logging import configure_logging
from common.metrics import metrics_router
from common.middleware import FastEndpoint, FastPaths, HeadAsGet, ObservabilityMiddleware
from common.openapi import install_problem_documents, operation_id, with_gateway_answers
from common.settings import Environment, ServiceSettings
from common.state import ServiceState

__all__ = ["Runtime", "create_service_app", "routed_document", "routed_openapi_router"]

#: A service's own start-up: given what every service has, it yields its state (a subclass), and
#: what it opened closes when the block ends.
Setup = Callable[[ServiceState], contextlib.AbstractAsyncContextManager[ServiceState]]


class Runtime:
    """Handles to what the lifespan opened, for a service's setup and for tests."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url, pool_size=settings.database_pool_size)
        telemetry.instrument_engine(self.db.engine)
        self.redis: aioredis.Redis = aioredis.Redis.from_url(
            settings.redis_url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True
        )
        self.bus = EventBus(
            settings.amqp_url,
            max_attempts=settings.consumer_max_attempts,
            retry_base_ms=settings.consumer_retry_base_ms,
            prefix=settings.events_prefix,
        )
        self.relay = OutboxRelay(
            self.db,
            self.bus,
            service=settings.service_name,
            retention=timedelta(hours=settings.outbox_retention_hours),
            inbox_retention=timedelta(hours=settings.inbox_retention_hours),
            inbox_prune_interval=settings.inbox_prune_interval_seconds,
        )
        self.consumers: list[Consumer] = []
        self.health_checks: dict[str, HealthCheck] = {
            "database": self.db.ping,
            "redis": self._ping_redis,
            "rabbitmq": self.bus.ping,
        }

    async def _ping_redis(self) -> None:
        await self.redis.ping()

    async def _probe_dependencies(self) -> None:
        """What a paused consumer waits for: its database and Redis both answer."""
        await self.db.ping()
        await self.redis.ping()

    def consume(self, handlers: Handlers, **kwargs: Any) -> Consumer:
        """A consumer of ``handlers``' subscription (started with the app; it declares its queues)."""
        kwargs.setdefault("probe", self._probe_dependencies)
        consumer = Consumer(self.db, self.bus, handlers, **kwargs)
        self.consumers.append(consumer)
        return consumer


#: What the gateway routes to a service; the rest of its OpenAPI document is not reachable by clients.
_ROUTED_PREFIXES = ("/api/", "/.well-known/")


def routed_openapi_router(app: FastAPI, settings: ServiceSettings) -> APIRouter:
    """``GET /api/v1/<service>/openapi.json``: the service's routed API, for the gateway's docs page.

    Under the service's own prefix so the gateway's existing router reaches it. Open in development
    and test; staging needs an admin's bearer token; production does not serve it (404).
    """
    router = APIRouter(include_in_schema=False)
    if settings.environment is Environment.PRODUCTION:
        return router
    guard = [] if settings.is_dev else [Depends(admin_user)]

    @router.get(f"/api/v1/{settings.service_name}/openapi.json", dependencies=guard)
    async def routed_openapi() -> JSONResponse:
        return JSONResponse(routed_document(app), headers={"Cache-Control": "no-store"})

    return router


def routed_document(app: FastAPI) -> dict[str, Any]:
    """The part of ``app``'s OpenAPI document that the gateway routes, with the gateway's own
    answers: what ``/api/v1/<service>/openapi.json`` serves, and what the SDKs are generated from."""
    document = app.openapi()
    paths = with_gateway_answers(
        {path: item for path, item in document.get("paths", {}).items() if path.startswith(_ROUTED_PREFIXES)}
    )
    return {**document, "paths": paths}


def _service_version(service: str) -> str:
    """The installed distribution's version (``posts-service`` ...), for the traces' resource."""
    try:
        return importlib.metadata.version(f"{service}-service")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    setup: Setup | None = None,
    verifier: TokenVerifier | None = None,
    fast_endpoints: Mapping[str, FastEndpoint] | None = None,
) -> FastAPI:
    """Build a service app. Pass ``verifier`` to use local keys instead of fetching auth's JWKS.

    ``fast_endpoints``: ``GET`` paths answered by :class:`common.middleware.FastPaths`, ahead of
    FastAPI's routing; their successful requests are counted, not logged one by one.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, settings.log_level)
        telemetry.configure(
            settings.service_name,
            version=_service_version(settings.service_name),
            environment=settings.environment.value,
        )
        runtime = Runtime(settings)
        jwks_client = create_http_client(timeout=3.0)
        token_verifier = verifier or TokenVerifier(
            JWKSKeySource(settings.jwks_url, jwks_client),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        base = ServiceState(
            settings=settings,
            runtime=runtime,
            verifier=token_verifier,
            verified_tokens=VerifiedTokens(token_verifier),
        )
        app.state.service = base
        runtime.bus.start()
        try:
            async with setup(base) if setup else contextlib.nullcontext(base) as state:
                app.state.service = state
                if settings.run_background:
                    runtime.relay.start()
                    for consumer in runtime.consumers:
                        consumer.start()
                # What start-up built lives as long as the process: keep it out of the collector's
                # full passes, whose pauses otherwise land on whichever requests are in flight.
                gc.collect()
                gc.freeze()
                yield
        finally:
            for consumer in runtime.consumers:
                with contextlib.suppress(Exception):
                    await consumer.stop()
            await runtime.relay.stop()
            await runtime.bus.close()
            await jwks_client.aclose()
            await runtime.redis.aclose()
            await runtime.db.dispose()
            telemetry.flush()

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        telemetry=telemetry.FASTAPI_NATIVE_OFF,
        # One docs page for every service, at the gateway's /docs (served by auth, assets vendored):
        # no per-service Swagger UI, which would load its files from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",  # the whole document, on the service's own port (not routed)
        generate_unique_id_function=operation_id,  # posts-create, not create_post_api_v1_posts_post
    )
    install_error_handlers(app)
    install_problem_documents(app)  # every error answer documented as application/problem+json
    if fast_endpoints:
        app.add_middleware(FastPaths, endpoints=fast_endpoints)  # inside the observability layer
    app.add_middleware(HeadAsGet)  # between FastPaths (GET only) and the observability layer
    app.add_middleware(
        ObservabilityMiddleware, service=settings.service_name, quiet_routes=tuple(fast_endpoints or ())
    )
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(edge_errors_router())  # the bodies of the gateway's own errors
    # Before the service's routers, so /api/v1/posts/openapi.json is not taken for a post id.
    app.include_router(routed_openapi_router(app, settings))
    for router in routers:
        app.include_router(router)
    return app

"""A service's process-wide objects, typed, in one place: ``request.app.state.service``.

``create_service_app``'s lifespan builds a :class:`ServiceState` (what every service has: settings,
the runtime's database, Redis and event bus, the token verifier) and hands it to the service's
``setup``, which yields its own subclass with the objects only it has. Routes reach it through the
one generic dependency :func:`get_state`; each service names the type once, in its ``state.py``::

    @dataclass(kw_only=True, eq=False)
    class VotesState(ServiceState):
        settings: VotesSettings
        limiter: RateLimiter

    State = Annotated[VotesState, Depends(get_state)]

Tests, command-line tools and the fast endpoints (ahead of FastAPI's dependencies) use
:func:`state_of`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self, TypeVar

from fastapi import FastAPI, Request

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from common.app import Runtime
    from common.db import Database
    from common.events.bus import EventBus
    from common.health import HealthCheck
    from common.identity import TokenVerifier, VerifiedTokens
    from common.settings import ServiceSettings

__all__ = ["ServiceState", "get_state", "state_of", "typed_state_of"]


S = TypeVar("S", bound="ServiceState")


@dataclass(kw_only=True, eq=False)
class ServiceState:
    """What the lifespan opened for every service; a service's ``setup`` extends it."""

    settings: ServiceSettings
    runtime: Runtime
    verifier: TokenVerifier
    verified_tokens: VerifiedTokens

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def redis(self) -> aioredis.Redis:
        return self.runtime.redis

    @property
    def bus(self) -> EventBus:
        return self.runtime.bus

    @property
    def health_checks(self) -> dict[str, HealthCheck]:
        return self.runtime.health_checks

    @classmethod
    def extend(cls, base: ServiceState, **fields: Any) -> Self:
        """``base``'s fields and the subclass's own ``fields``: what a service's ``setup`` yields."""
        inherited = {f.name: getattr(base, f.name) for f in dataclasses.fields(ServiceState)}
        return cls(**{**inherited, **fields})


def state_of(app: FastAPI) -> ServiceState:
    """The state of a started ``app`` (inside its lifespan)."""
    try:
        state: ServiceState = app.state.service
    except AttributeError:
        raise RuntimeError("the app is not started: its state exists inside its lifespan") from None
    return state


def typed_state_of(kind: type[S]) -> Callable[[FastAPI], S]:
    """A service's own ``state_of``, typed: ``state_of = typed_state_of(VotesState)`` in its state.py."""

    def service_state_of(app: FastAPI) -> S:
        state = state_of(app)
        if not isinstance(state, kind):
            raise TypeError(f"not a {kind.__name__} app: its state is a {type(state).__name__}")
        return state

    return service_state_of


async def get_state(request: Request) -> ServiceState:
    """The one dependency that returns a service's state; ``Annotated[<Svc>State, Depends(get_state)]``.

    ``async`` although it does not await: FastAPI runs a plain ``def`` dependency in its thread pool,
    and that hop costs more than a whole cached feed read (about 0.4 ms per request, measured).
    """
    return state_of(request.app)

"""The middleware types the native gateway implements, one module each, keyed by Traefik's type name.

Each middleware object is built from its options (refusing values it does not implement with a
``ValueError``) and ``wrap(next)`` returns the handler that runs it in front of ``next``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from native_gateway.config import MiddlewareConfig
from native_gateway.errors import ConfigError
from native_gateway.middlewares.buffering import BufferingMiddleware
from native_gateway.middlewares.forwardauth import ForwardAuthMiddleware
from native_gateway.middlewares.headers import HeadersMiddleware
from native_gateway.middlewares.ratelimit import RateLimitMiddleware
from native_gateway.middlewares.stripprefix import StripPrefixMiddleware
from native_gateway.pools import Pools
from native_gateway.request import Handler

__all__ = ["BUILDERS", "Middleware", "build_middleware"]


class Middleware(Protocol):
    name: str

    def wrap(self, next_handler: Handler) -> Handler: ...


_Builder = Callable[[str, Mapping[str, Any], Pools], Middleware]

BUILDERS: Final[dict[str, _Builder]] = {
    "headers": lambda name, options, _: HeadersMiddleware(name, options),
    "rateLimit": lambda name, options, _: RateLimitMiddleware(name, options),
    "buffering": lambda name, options, _: BufferingMiddleware(name, options),
    "stripPrefix": lambda name, options, _: StripPrefixMiddleware(name, options),
    "forwardAuth": ForwardAuthMiddleware,
}


def build_middleware(config: MiddlewareConfig, pools: Pools) -> Middleware:
    """Build one middleware; an unsupported value is a ``ConfigError`` naming the key path."""
    builder = BUILDERS.get(config.kind)
    if builder is None:
        raise ConfigError(f"http.middlewares.{config.name}: unsupported middleware type {config.kind!r}")
    try:
        return builder(config.name, config.options, pools)
    except ValueError as exc:
        raise ConfigError(f"http.middlewares.{config.name}.{config.kind}: {exc}") from exc

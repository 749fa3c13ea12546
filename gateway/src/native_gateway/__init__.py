"""The native gateway: Traefik's dynamic routing table (``gateway/traefik/dynamic/routes.yml``) served
where no container engine exists, with the same routing, middlewares and load balancing semantics
for every key it accepts, and a refusal to start on any key it does not implement.

Public surface: ``create_app`` builds the ASGI app from a dynamic file; ``load_config`` only validates;
``ALLOWED`` / ``allowed_paths`` is the allow-list of supported Traefik keys.
"""

from native_gateway.allowlist import ALLOWED, allowed_paths
from native_gateway.app import GatewayApp, create_app
from native_gateway.config import GatewayConfig, load_config
from native_gateway.errors import ConfigError

__all__ = [
    "ALLOWED",
    "ConfigError",
    "GatewayApp",
    "GatewayConfig",
    "allowed_paths",
    "create_app",
    "load_config",
]

"""``python -m native_gateway`` / ``native-gateway``: validate the routing table, then serve it with uvicorn.

The configuration is loaded and validated in this process before uvicorn starts, so an unsupported
key refuses to start with one clear message (exit status 2) instead of a traceback per worker.
``--check`` stops there, which is what CI and ``make`` use to validate the Traefik file.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import uvicorn

from native_gateway.app import create_app
from native_gateway.errors import ConfigError
from native_gateway.settings import Settings

__all__ = ["main"]


def _parse_args(argv: Sequence[str] | None, settings: Settings) -> tuple[Settings, bool]:
    parser = argparse.ArgumentParser(
        prog="native-gateway", description="Serve the Traefik dynamic routing table natively."
    )
    parser.add_argument(
        "--config", type=Path, help=f"dynamic file (GATEWAY_CONFIG; default {settings.config_path})"
    )
    parser.add_argument("--host", help=f"listen address (GATEWAY_HOST; default {settings.host})")
    parser.add_argument("--port", type=int, help=f"listen port (GATEWAY_PORT; default {settings.port})")
    parser.add_argument("--workers", type=int, help="worker processes (WEB_CONCURRENCY; default 1)")
    parser.add_argument("--no-access-log", action="store_true", help="do not write the JSON access log")
    parser.add_argument("--check", action="store_true", help="validate the configuration and exit")
    args = parser.parse_args(argv)
    settings = replace(
        settings,
        config_path=args.config or settings.config_path,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        access_log=settings.access_log and not args.no_access_log,
    )
    return settings, args.check


def _server_options(settings: Settings) -> dict[str, object]:
    fast = (
        importlib.util.find_spec("uvloop") is not None and importlib.util.find_spec("httptools") is not None
    )
    return {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop" if fast else "asyncio",
        "http": "httptools" if fast else "h11",
        "lifespan": "on",
        "access_log": False,  # the gateway writes its own JSON access log
        "proxy_headers": False,  # the client address is the peer's, as Traefik's default untrusted mode
        "server_header": False,
        "date_header": False,
        "log_level": settings.log_level,
    }


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings, check_only = _parse_args(argv, Settings.from_env(os.environ))
        app = create_app(
            settings.config_path,
            upstream_timeout=settings.upstream_timeout,
            access_log=sys.stdout if settings.access_log else None,
        )
    except ConfigError as exc:
        print(f"native-gateway: refusing to start: {exc}", file=sys.stderr)
        return 2
    routes = ", ".join(route.name for route in app.routes)
    print(f"native-gateway: {settings.config_path} OK ({len(app.routes)} routers: {routes})", file=sys.stderr)
    if check_only:
        return 0
    options = _server_options(settings)
    if settings.workers > 1:
        # Worker processes rebuild the app from the environment, so hand the settings down that way.
        os.environ.update(
            GATEWAY_CONFIG=str(settings.config_path),
            GATEWAY_ACCESS_LOG="1" if settings.access_log else "0",
        )
        uvicorn.run(
            "native_gateway.app:app_from_env",
            factory=True,
            workers=settings.workers,
            **options,  # type: ignore[arg-type]
        )
    else:
        uvicorn.run(app, **options)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())

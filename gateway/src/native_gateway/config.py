"""Load the Traefik dynamic file: render ``{{ env }}``, parse YAML, refuse the unsupported, type it.

The order matters and follows Traefik: the file is rendered as a template first, then parsed. The
raw document is checked against the allow-list (``allowlist.py``), then references, rules, URLs and
middleware options are checked, so every refusal happens before the gateway accepts a connection and
names the key path at fault.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from native_gateway.allowlist import MIDDLEWARE_TYPES, find_problems
from native_gateway.durations import parse_duration
from native_gateway.errors import ConfigError
from native_gateway.rules import PathPredicate, RuleError, compile_rule
from native_gateway.template import render

__all__ = [
    "GatewayConfig",
    "HealthCheckConfig",
    "MiddlewareConfig",
    "RouterConfig",
    "ServiceConfig",
    "TransportConfig",
    "load_config",
    "parse_config",
    "read_yaml",
]

ENTRY_POINT = "web"  # the native gateway's single listener plays Traefik's `web` entry point
DEFAULT_TRANSPORT = "default@internal"


@dataclass(frozen=True, slots=True)
class RouterConfig:
    name: str
    rule: str
    matches: PathPredicate
    priority: int
    middlewares: tuple[str, ...]
    service: str


@dataclass(frozen=True, slots=True)
class MiddlewareConfig:
    name: str
    kind: str
    options: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class HealthCheckConfig:
    path: str
    interval: float = 30.0  # Traefik's defaults
    timeout: float = 5.0


@dataclass(frozen=True, slots=True)
class TransportConfig:
    dial_timeout: float = 30.0  # Traefik's forwardingTimeouts defaults; 0 means "none"
    response_header_timeout: float = 0.0
    idle_conn_timeout: float = 90.0


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    name: str
    servers: tuple[str, ...]
    pass_host_header: bool = True
    transport: str = DEFAULT_TRANSPORT
    health_check: HealthCheckConfig | None = None


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    routers: tuple[RouterConfig, ...]
    middlewares: Mapping[str, MiddlewareConfig]
    services: Mapping[str, ServiceConfig]
    transports: Mapping[str, TransportConfig] = field(default_factory=dict)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node)
        if key in mapping:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(text: str, source: str) -> Any:
    """Parse YAML strictly; a syntax error becomes a ``ConfigError`` naming the file."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from exc


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> GatewayConfig:
    """Read, render, parse and validate a dynamic configuration file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {source}: {exc}") from exc
    rendered, unset = render(text, os.environ if env is None else env, source=source)
    return parse_config(read_yaml(rendered, source), unset=unset)


def parse_config(document: Any, *, unset: set[str] | None = None) -> GatewayConfig:
    """Validate a parsed document against the allow-list and build the typed configuration."""
    problems = find_problems(document if document is not None else {})
    if problems:
        raise ConfigError(problems)
    http: Mapping[str, Any] = (document or {}).get("http") or {}
    hint = f" (environment variables referenced but unset: {', '.join(sorted(unset))})" if unset else ""
    transports = {
        name: _transport(spec or {}) for name, spec in (http.get("serversTransports") or {}).items()
    }
    middlewares = _middlewares(http.get("middlewares") or {}, problems)
    services = _services(http.get("services") or {}, transports, problems, hint)
    routers = _routers(http.get("routers") or {}, middlewares, services, problems)
    if problems:
        raise ConfigError(problems)
    return GatewayConfig(routers=routers, middlewares=middlewares, services=services, transports=transports)


def _transport(spec: Mapping[str, Any]) -> TransportConfig:
    timeouts = spec.get("forwardingTimeouts") or {}
    defaults = TransportConfig()
    return TransportConfig(
        dial_timeout=parse_duration(timeouts.get("dialTimeout", defaults.dial_timeout)),
        response_header_timeout=parse_duration(
            timeouts.get("responseHeaderTimeout", defaults.response_header_timeout)
        ),
        idle_conn_timeout=parse_duration(timeouts.get("idleConnTimeout", defaults.idle_conn_timeout)),
    )


def _middlewares(specs: Mapping[str, Any], problems: list[str]) -> dict[str, MiddlewareConfig]:
    result: dict[str, MiddlewareConfig] = {}
    for name, spec in specs.items():
        kinds = [kind for kind in (spec or {}) if kind in MIDDLEWARE_TYPES]
        if len(kinds) != 1:
            problems.append(
                f"http.middlewares.{name}: needs exactly one middleware type, got {kinds or 'none'} "
                f"(the native gateway implements: {', '.join(MIDDLEWARE_TYPES)})"
            )
            continue
        result[name] = MiddlewareConfig(name=name, kind=kinds[0], options=spec[kinds[0]] or {})
    return result


def _services(
    specs: Mapping[str, Any], transports: Mapping[str, TransportConfig], problems: list[str], hint: str
) -> dict[str, ServiceConfig]:
    result: dict[str, ServiceConfig] = {}
    for name, spec in specs.items():
        where = f"http.services.{name}.loadBalancer"
        lb = (spec or {}).get("loadBalancer")
        if not lb:
            problems.append(f"http.services.{name}: needs a loadBalancer")
            continue
        servers = []
        for index, server in enumerate(lb.get("servers") or []):
            url = str((server or {}).get("url", "")).rstrip("/")
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
                problems.append(f"{where}.servers[{index}].url: {url!r} is not an http(s) base URL{hint}")
            elif parts.path:
                problems.append(
                    f"{where}.servers[{index}].url: a path in a server URL is not implemented ({url!r})"
                )
            servers.append(url)
        if not servers:
            problems.append(f"{where}.servers: needs at least one server")
        transport = lb.get("serversTransport", DEFAULT_TRANSPORT)
        if transport != DEFAULT_TRANSPORT and transport not in transports:
            problems.append(f"{where}.serversTransport: unknown serversTransport {transport!r}")
        check = lb.get("healthCheck")
        health = None
        if check is not None:
            path = str(check.get("path", ""))
            if not path.startswith("/"):
                problems.append(f"{where}.healthCheck.path: must start with '/', got {path!r}")
            health = HealthCheckConfig(
                path=path,
                interval=parse_duration(check.get("interval", 30)) or 30.0,
                timeout=parse_duration(check.get("timeout", 5)) or 5.0,
            )
        result[name] = ServiceConfig(
            name=name,
            servers=tuple(servers),
            pass_host_header=bool(lb.get("passHostHeader", True)),
            transport=transport,
            health_check=health,
        )
    return result


def _routers(
    specs: Mapping[str, Any],
    middlewares: Mapping[str, MiddlewareConfig],
    services: Mapping[str, ServiceConfig],
    problems: list[str],
) -> tuple[RouterConfig, ...]:
    routers: list[RouterConfig] = []
    for name, spec in specs.items():
        where = f"http.routers.{name}"
        spec = spec or {}
        entry_points = spec.get("entryPoints")
        if entry_points is not None and ENTRY_POINT not in entry_points:
            continue  # not served on the entry point the native gateway stands for
        rule = spec.get("rule", "")
        try:
            matches = compile_rule(rule)
        except RuleError as exc:
            problems.append(f"{where}.rule: {exc}")
            continue
        chain = tuple(spec.get("middlewares") or ())
        for index, middleware in enumerate(chain):
            if middleware not in middlewares:
                problems.append(f"{where}.middlewares[{index}]: unknown middleware {middleware!r}")
        service = spec.get("service", "")
        if service not in services:
            problems.append(f"{where}.service: unknown service {service!r}")
        priority = int(spec.get("priority", 0)) or len(rule)  # Traefik: 0 means "rule length"
        routers.append(RouterConfig(name, rule, matches, priority, chain, service))
    # Highest priority first; Traefik leaves ties unordered, the name makes ours deterministic.
    routers.sort(key=lambda router: (-router.priority, router.name))
    return tuple(routers)

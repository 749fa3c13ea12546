"""THE single explicit allow-list of Traefik dynamic-configuration keys the native gateway implements.

The native gateway must behave like Traefik for every key it accepts, so it accepts only the keys it
implements and refuses to start on anything else. A test walks ``traefik/dynamic/routes.yml`` and
compares every key path with ``allowed_paths()``: adding a key to the Traefik file without teaching the
native gateway its semantics fails that test.

Spec grammar: a dict lists the allowed keys; ``NAME`` stands for any user-chosen name (a router,
middleware, service or transport); a one-element list means "a list of that"; a string is a leaf type.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from native_gateway.durations import parse_duration

__all__ = ["ALLOWED", "MIDDLEWARE_TYPES", "NAME", "allowed_paths", "find_problems"]

NAME: Final = "<name>"
STR: Final = "string"
INT: Final = "integer"
BOOL: Final = "boolean"
DURATION: Final = "duration"
STR_LIST: Final = "list of strings"
STR_MAP: Final = "map of string to string"

_HEADERS: Final[dict[str, Any]] = {
    "customRequestHeaders": STR_MAP,
    "customResponseHeaders": STR_MAP,
    "contentTypeNosniff": BOOL,
    "frameDeny": BOOL,
    "referrerPolicy": STR,
    "contentSecurityPolicy": STR,
    "stsSeconds": INT,
    "stsIncludeSubdomains": BOOL,
    "stsPreload": BOOL,
    "forceSTSHeader": BOOL,
    "accessControlAllowOriginList": STR_LIST,
    "accessControlAllowMethods": STR_LIST,
    "accessControlAllowHeaders": STR_LIST,
    "accessControlExposeHeaders": STR_LIST,
    "accessControlAllowCredentials": BOOL,
    "accessControlMaxAge": INT,
    "addVaryHeader": BOOL,
}

_MIDDLEWARES: Final[dict[str, Any]] = {
    "headers": _HEADERS,
    "rateLimit": {"average": INT, "burst": INT, "period": DURATION},
    "buffering": {"maxRequestBodyBytes": INT},
    "stripPrefix": {"prefixes": STR_LIST},
    "forwardAuth": {"address": STR, "authResponseHeaders": STR_LIST, "trustForwardHeader": BOOL},
}

MIDDLEWARE_TYPES: Final = tuple(_MIDDLEWARES)

ALLOWED: Final[dict[str, Any]] = {
    "http": {
        "routers": {
            NAME: {
                "rule": STR,
                "priority": INT,
                "entryPoints": STR_LIST,
                "middlewares": STR_LIST,
                "service": STR,
            }
        },
        "middlewares": {NAME: _MIDDLEWARES},
        "services": {
            NAME: {
                "loadBalancer": {
                    "servers": [{"url": STR}],
                    "passHostHeader": BOOL,
                    "serversTransport": STR,
                    "healthCheck": {"path": STR, "interval": DURATION, "timeout": DURATION},
                }
            }
        },
        "serversTransports": {
            NAME: {
                "forwardingTimeouts": {
                    "dialTimeout": DURATION,
                    "responseHeaderTimeout": DURATION,
                    "idleConnTimeout": DURATION,
                }
            }
        },
    }
}


def allowed_paths(spec: Any = ALLOWED, prefix: str = "") -> set[str]:
    """Every supported key path, e.g. ``http.middlewares.<name>.rateLimit.average``."""
    paths: set[str] = set()
    if isinstance(spec, dict):
        for key, sub in spec.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            paths |= allowed_paths(sub, path)
    elif isinstance(spec, list):
        paths |= allowed_paths(spec[0], f"{prefix}[]")
    return paths


def find_problems(document: object) -> list[str]:
    """Return one message per key or value the allow-list does not accept (empty when all is well)."""
    problems: list[str] = []
    _check(document, ALLOWED, "", problems)
    return problems


def _check(node: object, spec: Any, path: str, problems: list[str]) -> None:
    where = path or "<top level>"
    if isinstance(spec, dict):
        if not isinstance(node, Mapping):
            problems.append(f"{where}: expected a mapping, got {type(node).__name__}")
            return
        for key, value in node.items():
            sub_path = f"{path}.{key}" if path else str(key)
            if NAME in spec:
                _check(value, spec[NAME], sub_path, problems)
            elif key in spec:
                _check(value, spec[key], sub_path, problems)
            else:
                supported = ", ".join(sorted(spec))
                problems.append(
                    f"{sub_path}: unsupported key {key!r} (the native gateway implements: {supported})"
                )
    elif isinstance(spec, list):
        if not isinstance(node, list):
            problems.append(f"{where}: expected a list, got {type(node).__name__}")
            return
        for index, item in enumerate(node):
            _check(item, spec[0], f"{path}[{index}]", problems)
    else:
        error = _leaf_error(node, spec)
        if error:
            problems.append(f"{where}: {error}")


def _leaf_error(node: object, kind: str) -> str | None:
    ok: bool
    if kind == STR:
        ok = isinstance(node, str)
    elif kind == INT:
        ok = isinstance(node, int) and not isinstance(node, bool)
    elif kind == BOOL:
        ok = isinstance(node, bool)
    elif kind == STR_LIST:
        ok = isinstance(node, list) and all(isinstance(item, str) for item in node)
    elif kind == STR_MAP:
        ok = isinstance(node, Mapping) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in node.items()
        )
    elif kind == DURATION:
        try:
            parse_duration(node)
        except ValueError as exc:
            return str(exc)
        return None
    else:  # pragma: no cover - a typo in ALLOWED itself
        raise AssertionError(f"unknown spec type {kind!r}")
    return None if ok else f"expected {kind}, got {node!r}"

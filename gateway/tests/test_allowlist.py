"""Parity: every key of the Traefik routing table is one the native gateway implements."""

from __future__ import annotations

from typing import Any

import yaml

from native_gateway.allowlist import MIDDLEWARE_TYPES, NAME, allowed_paths, find_problems
from native_gateway.middlewares import BUILDERS
from native_gateway.rules import SUPPORTED_MATCHERS, matchers_in

# Levels of the file whose keys are user-chosen names rather than Traefik keys.
_NAMED = {"http.routers", "http.middlewares", "http.services", "http.serversTransports"}
# Leaves whose keys are header names (data), not configuration keys.
_DATA_MAPS = ("customRequestHeaders", "customResponseHeaders")


def _walk(node: object, path: str, out: set[str]) -> None:
    """Every key path of the file, independently of the gateway's own validator."""
    if isinstance(node, dict):
        if path.endswith(_DATA_MAPS):
            return
        for key, value in node.items():
            segment = NAME if path in _NAMED else str(key)
            sub = f"{path}.{segment}" if path else segment
            out.add(sub)
            _walk(value, sub, out)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, dict | list):
                _walk(item, f"{path}[]", out)


def _routes(routes_path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(routes_path.read_text())
    return document


def test_every_key_of_the_traefik_file_is_supported(routes_path):
    used: set[str] = set()
    _walk(_routes(routes_path), "", used)
    missing = sorted(used - allowed_paths())
    assert not missing, f"keys the native gateway does not implement: {missing}"
    assert "http.middlewares.<name>.forwardAuth.authResponseHeaders" in used  # the walk really walked


def test_the_validator_accepts_the_traefik_file(routes_path):
    assert find_problems(_routes(routes_path)) == []


def test_every_rule_matcher_is_supported(routes_path):
    for name, router in _routes(routes_path)["http"]["routers"].items():
        assert set(matchers_in(router["rule"])) <= set(SUPPORTED_MATCHERS), name


def test_every_allowed_middleware_type_has_an_implementation():
    assert set(BUILDERS) == set(MIDDLEWARE_TYPES)


def test_unknown_keys_are_reported_with_their_path():
    document = {"http": {"routers": {"r": {"rule": "Path(`/`)", "service": "s", "tls": {}}}}}
    assert find_problems(document) == [
        "http.routers.r.tls: unsupported key 'tls' (the native gateway implements: "
        "entryPoints, middlewares, priority, rule, service)"
    ]


def test_wrong_value_types_are_reported():
    document = {"http": {"middlewares": {"m": {"rateLimit": {"average": "many", "period": "soon"}}}}}
    problems = find_problems(document)
    assert any(p.startswith("http.middlewares.m.rateLimit.average: expected integer") for p in problems)
    assert any(p.startswith("http.middlewares.m.rateLimit.period:") for p in problems)

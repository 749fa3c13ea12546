"""The Traefik files themselves: valid YAML with the structure compose and Kubernetes rely on."""

from __future__ import annotations

import yaml

IDENTITY_HEADERS = [
    "X-User-Id",
    "X-User-Name",
    "X-User-Role",
    "X-Session-Id",
    "X-User-Tier",
    "X-User-Verified",
]
CHAIN = ["strip-identity", "rate-limit", "body-limit-json", "security-headers", "cors", "forward-auth"]
# The docs page is same-origin only: its own content security policy instead of CORS.
DOCS_CHAIN = [m if m != "cors" else "docs-csp" for m in CHAIN]


def test_static_configuration(traefik_path):
    static = yaml.safe_load(traefik_path.read_text())
    assert set(static) >= {"entryPoints", "providers", "metrics", "ping", "accessLog", "log"}
    assert static["entryPoints"]["web"]["address"] == ":80"
    assert static["entryPoints"]["metrics"]["address"] != ":80"
    assert static["providers"]["file"] == {"directory": "/etc/traefik/dynamic", "watch": True}
    assert static["metrics"]["prometheus"]["entryPoint"] == "metrics"
    assert static["ping"]["entryPoint"] == "metrics"
    assert static["accessLog"]["format"] == "json"
    assert "api" not in static  # no dashboard, secure or not


def test_dynamic_configuration_structure(routes_path):
    routes = yaml.safe_load(routes_path.read_text())
    assert set(routes) == {"http"}
    http = routes["http"]
    assert set(http) == {"routers", "middlewares", "services", "serversTransports"}
    routers = http["routers"]
    assert routers["auth"]["rule"] == "PathPrefix(`/api/v1/auth`) || Path(`/.well-known/jwks.json`)"
    assert routers["posts"]["rule"] == "PathPrefix(`/api/v1/posts`) || PathPrefix(`/api/v1/media`)"
    assert routers["votes"]["rule"] == "PathPrefix(`/api/v1/votes`)"
    assert routers["posts-media-upload"]["priority"] > routers["posts"]["priority"]
    assert routers["docs"]["rule"] == "Path(`/docs`) || PathPrefix(`/docs/`)"
    assert routers["docs"]["service"] == "auth"
    chains = {"posts-media-upload": [m.replace("json", "media") for m in CHAIN], "docs": DOCS_CHAIN}
    for name, router in routers.items():
        assert isinstance(router["priority"], int), name
        assert router["entryPoints"] == ["web"], name
        assert router["middlewares"] == chains.get(name, CHAIN), name


def test_the_docs_policy_allows_this_origin_only(routes_path):
    policy = yaml.safe_load(routes_path.read_text())["http"]["middlewares"]["docs-csp"]["headers"]
    directives = {
        name: sources.split()
        for name, _, sources in (d.strip().partition(" ") for d in policy["contentSecurityPolicy"].split(";"))
    }
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    for name, sources in directives.items():
        assert "'unsafe-eval'" not in sources, name
        foreign = [s for s in sources if s.startswith(("http", "*")) or (s.endswith(":") and s != "data:")]
        assert not foreign, name


def test_middlewares_match_the_contract(routes_path):
    middlewares = yaml.safe_load(routes_path.read_text())["http"]["middlewares"]
    stripped = middlewares["strip-identity"]["headers"]["customRequestHeaders"]
    assert stripped == dict.fromkeys(IDENTITY_HEADERS, "")
    forward = middlewares["forward-auth"]["forwardAuth"]
    assert forward["address"] == '{{ env "AUTH_URL" }}/internal/forward-auth'
    assert forward["authResponseHeaders"] == IDENTITY_HEADERS
    assert forward["trustForwardHeader"] is False
    assert middlewares["body-limit-json"]["buffering"]["maxRequestBodyBytes"] == 1024 * 1024
    assert middlewares["body-limit-media"]["buffering"]["maxRequestBodyBytes"] == 10 * 1024 * 1024
    assert middlewares["rate-limit"]["rateLimit"]["average"] >= 300


def test_services_use_env_templates_and_health_checks(routes_path):
    services = yaml.safe_load(routes_path.read_text())["http"]["services"]
    for name, variable in (("auth", "AUTH_URL"), ("posts", "POSTS_URL"), ("votes", "VOTES_URL")):
        balancer = services[name]["loadBalancer"]
        assert balancer["servers"] == [{"url": f'{{{{ env "{variable}" }}}}'}]
        assert balancer["healthCheck"]["path"] == "/health/live"
        assert {"interval", "timeout"} <= set(balancer["healthCheck"])

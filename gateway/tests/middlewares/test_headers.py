"""The ``headers`` middlewares of the routing table: identity stripping, security headers, CORS."""

from __future__ import annotations

SPOOFED = {
    "X-User-Id": "admin",
    "X-User-Name": "root",
    "X-User-Role": "admin",
    "X-Session-Id": "stolen",
    "X-User-Tier": "gold",
    "X-User-Verified": "true",
}


async def test_identity_headers_from_client_are_stripped_for_anonymous(gateway, client):
    async with client.get(gateway.url + "/api/v1/posts", headers=SPOOFED) as response:
        assert response.status == 200
        headers = (await response.json())["headers"]
    for name in SPOOFED:
        assert name.lower() not in headers
        assert name.lower() not in gateway.auth.app.seen[-1]  # stripped before forwardAuth too


async def test_identity_headers_come_only_from_forward_auth(gateway, client):
    sent = {**SPOOFED, "Authorization": "Bearer good"}
    async with client.get(gateway.url + "/api/v1/votes/1", headers=sent) as response:
        headers = (await response.json())["headers"]
    for name, value in gateway.identity.items():
        assert headers[name] == [value]
    assert "x-user-tier" not in headers
    assert "x-user-verified" not in headers


async def test_security_headers_on_every_answer(gateway, client):
    for path, status in (("/api/v1/posts", 200), ("/api/v1/auth/x", 401)):
        headers = {"Authorization": "Bearer bad"} if status == 401 else {}
        async with client.get(gateway.url + path, headers=headers) as response:
            assert response.status == status
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert "Strict-Transport-Security" not in response.headers  # plain HTTP: Traefik sends none


async def test_cors_preflight_is_answered_at_the_gateway(gateway, client):
    headers = {
        "Origin": "http://localhost:3000",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization",
    }
    async with client.options(gateway.url + "/api/v1/posts", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert "POST" in response.headers["Access-Control-Allow-Methods"].split(",")
        assert "Authorization" in response.headers["Access-Control-Allow-Headers"].split(",")
        assert response.headers["Access-Control-Max-Age"] == "600"
        assert response.headers["X-Frame-Options"] == "DENY"  # the outer security middleware still applies
        assert response.headers["X-Request-ID"]
    assert gateway.auth.app.seen == []  # neither forwardAuth nor the service saw the preflight
    assert gateway.posts.app.seen == []


async def test_cors_preflight_from_unknown_origin_gets_no_allow_origin(gateway, client):
    headers = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    async with client.options(gateway.url + "/api/v1/posts", headers=headers) as response:
        assert response.status == 200
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_cors_headers_on_simple_requests(gateway, client):
    async with client.get(
        gateway.url + "/api/v1/posts", headers={"Origin": "http://127.0.0.1:5173"}
    ) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5173"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert response.headers["Access-Control-Expose-Headers"] == "X-Request-ID,Retry-After,Location"
        assert response.headers["Vary"] == "Origin"
    async with client.get(
        gateway.url + "/api/v1/posts", headers={"Origin": "https://evil.example"}
    ) as response:
        assert "Access-Control-Allow-Origin" not in response.headers


async def test_plain_options_request_is_proxied(gateway, client):
    async with client.options(gateway.url + "/api/v1/posts") as response:
        assert response.status == 200
        assert (await response.json())["method"] == "OPTIONS"


async def test_custom_headers_hsts_and_host(stack, client, write_config):
    config = write_config(
        f"""
        http:
          routers:
            r:
              rule: "PathPrefix(`/`)"
              middlewares: [custom]
              service: s
          middlewares:
            custom:
              headers:
                customRequestHeaders:
                  X-Added: "yes"
                  X-Removed: ""
                  Host: "internal.example"
                customResponseHeaders:
                  X-Upstream: ""
                  X-Served-By: gateway
                stsSeconds: 60
                stsPreload: true
                forceSTSHeader: true
          services:
            s:
              loadBalancer:
                servers: [{{url: "{stack.posts.url}"}}]
        """
    )
    await stack.start_gateway(config)
    async with client.get(stack.url + "/x", headers={"X-Removed": "1", "X-Added": "no"}) as response:
        assert response.headers["Strict-Transport-Security"] == "max-age=60; preload"
        assert response.headers["X-Served-By"] == "gateway"
        assert "X-Upstream" not in response.headers
        headers = (await response.json())["headers"]
    assert headers["x-added"] == ["yes"]
    assert "x-removed" not in headers
    assert headers["host"] == ["internal.example"]


async def test_content_security_policy_replaces_the_upstreams(stack, client, write_config):
    config = write_config(
        f"""
        http:
          routers:
            r:
              rule: "PathPrefix(`/`)"
              middlewares: [csp]
              service: s
          middlewares:
            csp:
              headers:
                contentSecurityPolicy: "default-src 'self'; frame-ancestors 'none'"
          services:
            s:
              loadBalancer:
                servers: [{{url: "{stack.posts.url}"}}]
        """
    )
    await stack.start_gateway(config)
    for sent in ({}, {"X-Test-CSP": "default-src *"}):
        async with client.get(stack.url + "/x", headers=sent) as response:
            assert response.headers.getall("Content-Security-Policy") == [
                "default-src 'self'; frame-ancestors 'none'"
            ]
            assert "X-Frame-Options" not in response.headers  # only what is configured

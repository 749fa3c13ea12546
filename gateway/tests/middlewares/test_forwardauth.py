"""``forwardAuth`` against the AGENTS.md contract, and Traefik's behaviour when auth is unreachable."""

from __future__ import annotations

import time


async def test_valid_token_passes_identity_upstream(gateway, client):
    async with client.get(
        gateway.url + "/api/v1/posts", headers={"Authorization": "Bearer good"}
    ) as response:
        assert response.status == 200
        headers = (await response.json())["headers"]
    assert headers["x-user-id"] == ["u-1"]
    assert headers["x-session-id"] == ["s-1"]
    assert headers["authorization"] == ["Bearer good"]  # services verify the token themselves


async def test_auth_request_carries_forwarded_headers(gateway, client):
    sent = {"Authorization": "Bearer good", "X-Forwarded-Uri": "/spoofed", "X-Forwarded-Method": "DELETE"}
    async with client.post(gateway.url + "/api/v1/votes/9?x=1", headers=sent, data=b"{}") as response:
        assert response.status == 200
    seen = gateway.auth.app.seen[-1]
    assert seen["x-forwarded-method"] == "POST"
    assert seen["x-forwarded-uri"] == "/api/v1/votes/9?x=1"
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == f"127.0.0.1:{gateway.gateway.port}"
    assert seen["authorization"] == "Bearer good"
    assert seen["host"] == gateway.auth.url.removeprefix("http://")
    assert "content-length" not in seen  # the auth request is a GET without a body


async def test_invalid_token_gets_the_auth_servers_401(gateway, client):
    async with client.get(gateway.url + "/api/v1/posts", headers={"Authorization": "Bearer bad"}) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.headers["Content-Type"] == "application/json"
        assert await response.json() == {"detail": "Invalid token"}
        assert response.headers["X-Request-ID"]
    assert gateway.posts.app.seen == []


async def test_rate_limited_by_auth_gets_429_with_retry_after(gateway, client):
    async with client.get(
        gateway.url + "/api/v1/votes/1", headers={"Authorization": "Bearer limited"}
    ) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"
        assert await response.json() == {"detail": "Too many requests"}
    assert gateway.votes.app.seen == []


async def test_auth_server_error_is_returned_as_is(gateway, client):
    async with client.get(
        gateway.url + "/api/v1/posts", headers={"Authorization": "Bearer broken"}
    ) as response:
        assert response.status == 503
        assert await response.json() == {"detail": "auth is down"}
    assert gateway.posts.app.seen == []


async def test_relative_location_is_resolved_against_the_auth_address(gateway, client):
    headers = {"Authorization": "Bearer redirect"}
    async with client.get(gateway.url + "/api/v1/posts", headers=headers, allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == gateway.auth.url + "/login"


async def test_unreachable_auth_server_answers_500_with_empty_body_like_traefik(gateway, client):
    await gateway.auth.stop()
    started = time.monotonic()
    async with client.get(gateway.url + "/api/v1/posts") as response:
        assert response.status == 500
        assert await response.read() == b""
        assert response.headers["X-Frame-Options"] == "DENY"
    assert time.monotonic() - started < 2
    assert gateway.posts.app.seen == []

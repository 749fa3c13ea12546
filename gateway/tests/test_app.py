"""End to end through the repository's routing table: routing, priorities, 404s, request ids, headers."""

from __future__ import annotations

import io
import json

import pytest
from yarl import URL


@pytest.mark.parametrize(
    ("path", "server"),
    [
        ("/api/v1/posts", "posts"),
        ("/api/v1/posts/42?sort=new", "posts"),
        ("/api/v1/media/abc.png", "posts"),
        ("/api/v1/posts/42/media", "posts"),
        ("/api/v1/votes/7", "votes"),
        ("/api/v1/auth/login", "auth"),
        ("/.well-known/jwks.json", "auth"),
        ("/docs", "auth"),
        ("/docs/swagger-ui.css", "auth"),
    ],
)
async def test_routes_reach_their_service(gateway, client, path, server):
    async with client.get(gateway.url + path) as response:
        assert response.status == 200
        body = await response.json()
    assert body["server"] == server
    assert body["path"] + (f"?{body['query']}" if body["query"] else "") == path


async def test_docs_router_asks_forward_auth_and_sets_its_policy(gateway, client):
    async with client.get(gateway.url + "/docs", headers={"Authorization": "Bearer good"}) as response:
        assert response.status == 200
        policy = response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        headers = (await response.json())["headers"]
    assert gateway.auth.app.seen[-1]["x-forwarded-uri"] == "/docs"
    assert headers["x-user-id"] == [gateway.identity["x-user-id"]]  # the same chain as every router
    directives = dict(d.strip().partition(" ")[::2] for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert directives["frame-ancestors"] == "'none'"
    assert "http" not in policy  # nothing from another origin
    async with client.get(gateway.url + "/api/v1/posts") as response:
        assert "Content-Security-Policy" not in response.headers  # the API routes do not get it


async def test_media_upload_router_outranks_posts(gateway, client):
    body = b"x" * (2 * 1024 * 1024)  # over the 1 MiB JSON limit, under the 10 MiB media limit
    async with client.post(gateway.url + "/api/v1/posts/42/media", data=io.BytesIO(body)) as response:
        assert response.status == 200
        assert (await response.json())["body_length"] == len(body)
    async with client.post(gateway.url + "/api/v1/posts/42/comments", data=io.BytesIO(body)) as response:
        assert response.status == 413


@pytest.mark.parametrize(
    "path",
    [
        "/health/live",
        "/health/ready",
        "/metrics",
        "/internal/forward-auth",
        "/internal/posts/1",
        "/",
        "/api/v1",
        "/api/v1/postsX/../../internal/forward-auth",
        "/api/v1/posts/../../internal/forward-auth",
        "/api/v1/auth/..//..//metrics",
        "/docsx",
        "/docs/../internal/forward-auth",
        "/openapi.json",
    ],
)
async def test_unrouted_and_internal_paths_are_404(gateway, client, path):
    async with client.get(URL(gateway.url + path, encoded=True)) as response:
        assert response.status == 404
        assert await response.json() == {"detail": "Not Found"}
    assert gateway.posts.app.seen == []
    assert gateway.auth.app.seen == []


async def test_path_is_sanitized_before_routing_and_forwarding(gateway, client):
    async with client.get(URL(gateway.url + "/api/v1/votes/../posts//7/./x", encoded=True)) as response:
        assert response.status == 200
        body = await response.json()
    assert (body["server"], body["path"]) == ("posts", "/api/v1/posts/7/x")


async def test_encoded_slash_does_not_match_a_prefix(gateway, client):
    async with client.get(URL(gateway.url + "/api%2Fv1%2Fposts", encoded=True)) as response:
        assert response.status == 404


async def test_request_id_is_generated_propagated_and_returned(gateway, client):
    async with client.get(gateway.url + "/api/v1/posts") as response:
        request_id = response.headers["X-Request-ID"]
        body = await response.json()
    assert len(request_id) == 36
    assert body["headers"]["x-request-id"] == [request_id]
    assert gateway.auth.app.seen[-1]["x-request-id"] == request_id


async def test_client_request_id_is_kept(gateway, client):
    async with client.get(gateway.url + "/api/v1/posts", headers={"X-Request-ID": "abc-123"}) as response:
        assert response.headers.getall("X-Request-ID") == ["abc-123"]
        body = await response.json()
    assert body["headers"]["x-request-id"] == ["abc-123"]
    assert gateway.auth.app.seen[-1]["x-request-id"] == "abc-123"


async def test_unusable_client_request_id_is_replaced(gateway, client):
    async with client.get(gateway.url + "/api/v1/posts", headers={"X-Request-ID": "x" * 500}) as response:
        assert len(response.headers["X-Request-ID"]) == 36


async def test_forwarded_headers_replace_client_values(gateway, client):
    spoofed = {"X-Forwarded-For": "1.2.3.4", "X-Real-Ip": "1.2.3.4", "X-Forwarded-Proto": "https"}
    async with client.get(gateway.url + "/api/v1/posts", headers=spoofed) as response:
        headers = (await response.json())["headers"]
    assert headers["x-forwarded-for"] == ["127.0.0.1"]
    assert headers["x-real-ip"] == ["127.0.0.1"]
    assert headers["x-forwarded-proto"] == ["http"]
    assert headers["x-forwarded-host"] == [f"127.0.0.1:{gateway.gateway.port}"]
    assert headers["x-forwarded-port"] == [str(gateway.gateway.port)]
    assert headers["host"] == [f"127.0.0.1:{gateway.gateway.port}"]  # passHostHeader: true


async def test_hop_by_hop_headers_are_stripped_both_ways(gateway, client):
    sent = {
        "Connection": "keep-alive, X-Private",
        "X-Private": "secret",
        "Keep-Alive": "timeout=5",
        "TE": "x",
    }
    async with client.get(gateway.url + "/api/v1/posts", headers=sent) as response:
        assert "x-secret" not in response.headers  # listed in the upstream's Connection header
        assert response.headers["x-upstream"] == "posts"
        headers = (await response.json())["headers"]
    for name in ("x-private", "keep-alive", "te"):
        assert name not in headers


async def test_access_log_line_per_request(gateway, client):
    async with client.get(gateway.url + "/api/v1/votes/1?q=secret") as response:
        request_id = response.headers["X-Request-ID"]
    async with client.get(gateway.url + "/nowhere") as response:
        assert response.status == 404
    lines = [json.loads(line) for line in gateway.access_log.getvalue().splitlines()]
    first, second = lines[-2:]
    assert first["method"] == "GET"
    assert first["path"] == "/api/v1/votes/1"  # no query string: it may carry secrets
    assert first["status"] == 200
    assert first["request_id"] == request_id
    assert first["upstream"] == gateway.votes.url
    assert first["router"] == "votes"
    assert first["duration_ms"] >= 0
    assert (second["status"], second["upstream"], second["router"]) == (404, None, None)


async def test_large_answers_stream_through(gateway, client):
    size = 3 * 1024 * 1024 + 7
    async with client.get(gateway.url + "/api/v1/posts", headers={"X-Test-Size": str(size)}) as response:
        assert response.status == 200
        assert response.headers["X-Upstream"] == "big"
        assert response.headers["X-Frame-Options"] == "DENY"
        body = await response.read()
    assert len(body) == size
    async with client.head(gateway.url + "/api/v1/posts") as response:  # the connection is still usable
        assert response.status == 200
        assert await response.read() == b""

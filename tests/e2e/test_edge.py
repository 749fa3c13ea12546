"""The edge, through the real native stack: who gets in, what is hidden, and how failures look.

Everything goes through the gateway (the routing table Traefik runs), which asks auth's forwardAuth
about every request; the services behind it are the real processes.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
IDENTITY_HEADERS = (
    "X-User-Id",
    "X-User-Name",
    "X-User-Role",
    "X-Session-Id",
    "X-User-Tier",
    "X-User-Verified",
)


_SOURCES = itertools.count(210)


@pytest.fixture
def gateway(stack: Any) -> Iterator[httpx.Client]:
    # Each test from a loopback address of its own: auth limits sign-ups and sign-ins per address.
    source = httpx.HTTPTransport(local_address=f"127.0.0.{next(_SOURCES)}")
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10, transport=source) as client:
        yield client


class User:
    def __init__(self, gateway: httpx.Client, prefix: str = "edge") -> None:
        self.name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        registered = gateway.post(
            "/api/v1/auth/register",
            json={"email": f"{self.name}@example.com", "username": self.name, "password": PASSWORD},
        )
        assert registered.status_code == 201, registered.text
        self.id = str(registered.json()["id"])
        tokens = gateway.post("/api/v1/auth/login", data={"username": self.name, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        self.access = str(tokens.json()["access_token"])
        self.refresh = str(tokens.json()["refresh_token"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


def _until(check: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {within:.0f}s")


def _post_id(gateway: httpx.Client, author: User) -> str:
    post = gateway.post("/api/v1/posts", json={"title": "edge", "content": "edge"}, headers=author.headers)
    assert post.status_code == 201, post.text
    return str(post.json()["id"])


def _cast(gateway: httpx.Client, voter: User, post_id: str) -> None:
    """Vote once the votes service has heard of the post (it learns of posts from events)."""
    _until(
        lambda: gateway.put(f"/api/v1/votes/{post_id}", headers=voter.headers).status_code in (200, 201),
        within=15,
        what="the vote was accepted",
    )


# --- identity -----------------------------------------------------------------------------------------
def test_spoofed_identity_headers_cannot_act_as_another_user_on_any_service(gateway: httpx.Client) -> None:
    victim, mallory = User(gateway, "victim"), User(gateway, "mallory")
    victims_post = _post_id(gateway, victim)
    _cast(gateway, victim, victims_post)
    as_victim = {
        "X-User-Id": victim.id,
        "X-User-Name": victim.name,
        "X-User-Role": "admin",
        "X-Session-Id": str(uuid.uuid4()),
        "X-User-Tier": "unlimited",
        "X-User-Verified": "true",
    }
    # Without a token the headers alone are nobody, on every service.
    for method, path in [
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/auth/admin/users"),
        ("POST", "/api/v1/posts"),
        ("GET", "/api/v1/votes/me"),
        ("DELETE", f"/api/v1/votes/{victims_post}"),
    ]:
        body = {"title": "t", "content": "c"} if method == "POST" else None
        response = gateway.request(method, path, headers=as_victim, json=body)
        assert response.status_code == 401, (method, path, response.text)
    # The headers in lower case, or sent twice, are stripped all the same.
    twice = [(name.lower(), value) for name, value in as_victim.items()] + [("X-User-Id", victim.id)]
    assert gateway.get("/api/v1/auth/me", headers=twice).status_code == 401

    # With Mallory's own token the headers change nothing: Mallory stays Mallory.
    headers = {**mallory.headers, **as_victim}
    me = gateway.get("/api/v1/auth/me", headers=headers)
    assert (me.status_code, me.json()["id"]) == (200, mallory.id)
    assert gateway.get("/api/v1/auth/admin/users", headers=headers).status_code == 403
    post = gateway.post("/api/v1/posts", json={"title": "t", "content": "c"}, headers=headers)
    assert post.status_code == 201
    assert post.json()["author"]["id"] == mallory.id
    assert gateway.get(f"/api/v1/votes/{victims_post}/me", headers=headers).json()["voted"] is False
    gone = gateway.delete(f"/api/v1/votes/{victims_post}", headers=headers)
    assert (gone.status_code, gone.json()["changed"]) == (200, False)  # Mallory had no vote to take back
    assert gateway.get(f"/api/v1/votes/{victims_post}/me", headers=victim.headers).json()["voted"] is True


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/auth/sessions"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/auth/admin/users"),
        ("POST", "/api/v1/posts"),
        ("GET", "/api/v1/votes/me"),
        ("PUT", "/api/v1/votes/00000000-0000-0000-0000-000000000001"),
    ],
)
def test_missing_token_is_a_401_on_protected_routes(gateway: httpx.Client, method: str, path: str) -> None:
    body = {"title": "t", "content": "c"} if method == "POST" and "posts" in path else None
    response = gateway.request(method, path, json=body)
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.json()) == {"type", "title", "status", "detail", "instance"}
    assert response.json()["type"] == "tag:social-posts,2026:problems/unauthorized"


def test_a_revoked_token_is_refused_at_the_edge_at_once(gateway: httpx.Client) -> None:
    user = User(gateway)
    # The edge refuses it first (forwardAuth); each service would too on its own port (test_revocation).
    assert gateway.get("/api/v1/votes/me", headers=user.headers).status_code == 200
    assert gateway.post("/api/v1/auth/logout", headers=user.headers).status_code == 204
    for method, path in [("GET", "/api/v1/votes/me"), ("GET", "/api/v1/auth/me"), ("GET", "/api/v1/posts")]:
        refused = gateway.request(method, path, headers=user.headers)
        assert refused.status_code == 401, (path, refused.text)
        assert refused.json()["detail"] == "This session was signed out; sign in again"
        assert refused.json()["instance"] == refused.headers["x-request-id"]


def _expired_copy(stack: Any, token: str) -> str:
    """The same token, expired an hour ago, signed with the stack's own key (as auth would have)."""
    kid = jwt.get_unverified_header(token)["kid"]
    key = (Path(stack.config.keys_dir) / f"{kid}.pem").read_bytes()
    claims = jwt.decode(token, options={"verify_signature": False})
    now = int(time.time())
    claims.update(iat=now - 7200, nbf=now - 7200, exp=now - 3600)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def test_refresh_and_login_work_with_a_stale_bearer_token(stack: Any, gateway: httpx.Client) -> None:
    user = User(gateway)
    expired = {"Authorization": f"Bearer {_expired_copy(stack, user.access)}"}
    assert gateway.get("/api/v1/auth/me", headers=expired).status_code == 401  # stale where it matters
    refreshed = gateway.post("/api/v1/auth/refresh", json={"refresh_token": user.refresh}, headers=expired)
    assert refreshed.status_code == 200, refreshed.text
    fresh = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert gateway.get("/api/v1/auth/me", headers=fresh).status_code == 200

    signed_out = User(gateway)
    assert gateway.post("/api/v1/auth/logout", headers=signed_out.headers).status_code == 204
    for stale in (expired, signed_out.headers, {"Authorization": "Bearer not-a-token"}):
        login = gateway.post(
            "/api/v1/auth/login", data={"username": user.name, "password": PASSWORD}, headers=stale
        )
        assert login.status_code == 200, login.text
        as_json = gateway.post(
            "/api/v1/auth/login/json", json={"login": user.name, "password": PASSWORD}, headers=stale
        )
        assert as_json.status_code == 200, as_json.text
        assert gateway.get("/.well-known/jwks.json", headers=stale).status_code == 200
        assert gateway.get("/docs", headers=stale).status_code == 200
        assert gateway.get("/api/v1/votes/me", headers=stale).status_code == 401


# --- what is not routed --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/health/live",
        "/health/ready",
        "/metrics",
        "/internal/forward-auth",
        "/internal/jobs",
        "/openapi.json",
        "/api/v1/worker/openapi.json",
        "/docs/../internal/forward-auth",
        "/api/v1/auth/%2e%2e/%2e%2e/internal/forward-auth",
        "/api/v1/votes/%2e%2e;/%2e%2e;/internal/forward-auth%3bx",
        "/internal/edge-errors/502",
        "/docs/openapi.json",
        "/docs/VENDORED.md",
    ],
)
def test_internal_endpoints_are_404_at_the_gateway(stack: Any, path: str) -> None:
    # http.client sends the path exactly as written (httpx would resolve the dot segments first).
    connection = http.client.HTTPConnection("127.0.0.1", stack.config.gateway_port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        status, body = response.status, json.loads(response.read())
    finally:
        connection.close()
    assert status == 404, (path, body)
    # The gateway's own 404 (no router takes the path) or the docs router's service saying so.
    assert set(body) == {"type", "title", "status", "detail", "instance"}
    assert body["detail"].startswith("Not Found"), body


def test_each_service_publishes_its_routed_api_description(gateway: httpx.Client) -> None:
    for service in ("auth", "posts", "votes"):
        document = gateway.get(f"/api/v1/{service}/openapi.json")
        assert document.status_code == 200, service
        paths = document.json()["paths"]
        assert any(p.startswith(f"/api/v1/{service}") for p in paths), service
        assert not any(p.startswith(("/internal", "/health", "/metrics")) for p in paths), service


# --- headers ------------------------------------------------------------------------------------------
def test_security_headers_and_request_ids_on_answers_of_every_kind(gateway: httpx.Client) -> None:
    user = User(gateway)
    answers = [
        gateway.get("/api/v1/auth/me", headers=user.headers),  # 200 from auth
        gateway.get("/api/v1/posts", params={"limit": 1}),  # 200 from posts
        gateway.get("/api/v1/votes/me", headers=user.headers),  # 200 from votes
        gateway.get("/api/v1/votes/me"),  # 401 from the service
        gateway.get("/api/v1/posts", headers={"Authorization": "Bearer nope"}),  # 401 from forwardAuth
        gateway.get(f"/api/v1/posts/{uuid.uuid4()}"),  # 404 from posts
        gateway.get("/docs"),
    ]
    for response in answers:
        where = (response.request.url.path, response.status_code)
        assert response.headers["X-Content-Type-Options"] == "nosniff", where
        assert response.headers["X-Frame-Options"] == "DENY", where
        assert response.headers["Referrer-Policy"] == "no-referrer", where
        assert len(response.headers["X-Request-ID"]) >= 16, where
    assert len({r.headers["X-Request-ID"] for r in answers}) == len(answers)  # one per request
    policy = answers[-1].headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "Content-Security-Policy" not in answers[1].headers

    mine = gateway.get("/api/v1/posts", params={"limit": 1}, headers={"X-Request-ID": "edge-test-42"})
    assert mine.headers.get_list("X-Request-ID") == ["edge-test-42"]


# --- X-Client-Version, enforced once for every service ---------------------------------------------------
@contextlib.contextmanager
def _auth_restarted_with(stack: Any, gateway: httpx.Client, **env: str) -> Iterator[None]:
    """auth (and so forwardAuth) restarted with extra settings, and restarted again without them."""

    def restart(extra: dict[str, str]) -> None:
        stack.config.extra_env = extra
        stack.stop(["auth"])
        stack.start(["auth"])
        stack.wait_ready(timeout=60)
        # auth answers its own port first; the gateway's first request to it may still be on its way.
        _until(lambda: gateway.get("/.well-known/jwks.json").status_code == 200, 20, "auth is routed again")

    original = dict(stack.config.extra_env)
    restart({**original, **env})
    try:
        yield
    finally:
        restart(original)


def test_client_versions_below_the_minimum_get_426_on_every_service(
    stack: Any, gateway: httpx.Client
) -> None:
    user = User(gateway)
    routes = [
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/posts"),
        ("GET", "/api/v1/votes/me"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/docs"),
    ]
    malformed = gateway.get("/api/v1/posts", headers={"X-Client-Version": "1.2"})
    assert malformed.status_code == 400
    assert "X-Client-Version must be a semantic version" in malformed.json()["detail"]
    assert gateway.get("/api/v1/posts", headers={"X-Client-Version": "0.0.1"}).status_code == 200

    with _auth_restarted_with(stack, gateway, MIN_CLIENT_VERSION="1.5.0"):
        for method, path in routes:
            old = gateway.request(method, path, headers={**user.headers, "X-Client-Version": "1.4.9"})
            assert old.status_code == 426, (path, old.text)
            assert old.headers["content-type"] == "application/problem+json"
            assert old.json()["detail"] == (
                "Client version 1.4.9 is no longer supported; upgrade to 1.5.0 or later"
            )
            assert old.json()["min_client_version"] == "1.5.0"
            assert old.headers["X-Min-Client-Version"] == "1.5.0"
            bad = gateway.request(method, path, headers={"X-Client-Version": "latest"})
            assert bad.status_code == 400, path
        for version in ("1.5.0", "2.0.0-beta.1"):
            current = gateway.get("/api/v1/votes/me", headers={**user.headers, "X-Client-Version": version})
            assert current.status_code == 200, version
        assert gateway.get("/api/v1/votes/me", headers=user.headers).status_code == 200  # no header: served
    assert gateway.get("/api/v1/posts", headers={"X-Client-Version": "1.4.9"}).status_code == 200

"""A new user's first minutes, through the gateway of a natively started stack."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e


_SOURCES = itertools.count(235)


@pytest.fixture
def gateway(stack: Any) -> Iterator[httpx.Client]:
    # Each test from a loopback address of its own: auth limits sign-ups and sign-ins per address.
    source = httpx.HTTPTransport(local_address=f"127.0.0.{next(_SOURCES)}")
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10, transport=source) as client:
        yield client


def _register_and_login(gateway: httpx.Client, name: str) -> dict[str, str]:
    password = "correct horse battery staple"
    registered = gateway.post(
        "/api/v1/auth/register", json={"email": f"{name}@example.com", "username": name, "password": password}
    )
    assert registered.status_code == 201, registered.text
    login = gateway.post("/api/v1/auth/login", data={"username": name, "password": password})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _wait_for(check: Callable[[], object], within: float = 10.0) -> object:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_register_login_post_vote_and_see_the_count(gateway: httpx.Client) -> None:
    name = f"e2e_{uuid.uuid4().hex[:8]}"
    auth = _register_and_login(gateway, name)
    me = gateway.get("/api/v1/auth/me", headers=auth)
    assert me.status_code == 200
    assert me.json()["username"] == name

    post = gateway.post("/api/v1/posts", json={"title": "First", "content": "Hello"}, headers=auth)
    assert post.status_code == 201, post.text
    post_id = post.json()["id"]
    assert post.json()["author"]["username"] == name

    vote = gateway.put(f"/api/v1/votes/{post_id}", headers=auth)
    assert vote.status_code == 201, vote.text
    again = gateway.put(f"/api/v1/votes/{post_id}", headers=auth)
    assert again.status_code == 200
    assert again.json()["changed"] is False
    # the voter's very next read shows it (votes left it in Redis for posts: common.recent_votes)
    mine = gateway.get("/api/v1/posts", params={"limit": 50}, headers=auth).json()["items"]
    assert [p["vote_count"] for p in mine if p["id"] == post_id] == [1]
    assert gateway.get(f"/api/v1/posts/{post_id}", headers=auth).json()["vote_count"] == 1

    def counted() -> bool:
        items = gateway.get("/api/v1/posts", params={"limit": 50}).json()["items"]
        return any(p["id"] == post_id and p["vote_count"] == 1 for p in items)

    _wait_for(counted)
    assert gateway.delete(f"/api/v1/votes/{post_id}", headers=auth).json()["changed"] is True


def test_no_token_and_tampered_token_are_refused(gateway: httpx.Client) -> None:
    auth = _register_and_login(gateway, f"e2e_{uuid.uuid4().hex[:8]}")
    assert gateway.post("/api/v1/posts", json={"title": "t", "content": "c"}).status_code == 401
    token = auth["Authorization"].removeprefix("Bearer ")
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload[:-2]}AA.{signature}"
    refused = gateway.post(
        "/api/v1/posts", json={"title": "t", "content": "c"}, headers={"Authorization": f"Bearer {forged}"}
    )
    assert refused.status_code == 401
    assert refused.headers.get("www-authenticate", "").startswith("Bearer")


def test_identity_headers_from_clients_cannot_impersonate(gateway: httpx.Client) -> None:
    victim_auth = _register_and_login(gateway, f"victim_{uuid.uuid4().hex[:6]}")
    victim_id = gateway.get("/api/v1/auth/me", headers=victim_auth).json()["id"]
    spoofed = {"X-User-Id": victim_id, "X-User-Name": "victim", "X-User-Role": "admin"}
    assert (
        gateway.post("/api/v1/posts", json={"title": "t", "content": "c"}, headers=spoofed).status_code == 401
    )
    assert gateway.get("/api/v1/auth/me", headers=spoofed).status_code == 401
    mallory = _register_and_login(gateway, f"mallory_{uuid.uuid4().hex[:6]}")
    post = gateway.post("/api/v1/posts", json={"title": "t", "content": "c"}, headers={**mallory, **spoofed})
    assert post.status_code == 201
    assert post.json()["author"]["id"] != victim_id


def test_bad_input_is_a_clear_4xx(gateway: httpx.Client) -> None:
    missing = gateway.post("/api/v1/auth/register", json={"email": "x@example.com"})
    assert missing.status_code == 422
    name = f"dup_{uuid.uuid4().hex[:8]}"
    _register_and_login(gateway, name)
    duplicate = gateway.post(
        "/api/v1/auth/register",
        json={
            "email": f"{name.upper()}@example.com",
            "username": f"{name}x",
            "password": "another long password",
        },
    )
    assert duplicate.status_code == 409
    assert "e-mail" in duplicate.json()["detail"]
    auth = _register_and_login(gateway, f"e2e_{uuid.uuid4().hex[:8]}")
    unknown = gateway.put(f"/api/v1/votes/{uuid.uuid4()}", headers=auth)
    assert unknown.status_code == 404
    assert gateway.get(f"/api/v1/posts/{uuid.uuid4()}").status_code == 404


def test_internal_endpoints_are_not_reachable_through_the_gateway(gateway: httpx.Client) -> None:
    for path in ("/health/ready", "/metrics", "/internal/forward-auth", "/internal/posts/x"):
        assert gateway.get(path).status_code == 404, path

"""The README's retry with ``Idempotency-Key`` and edit with ``If-Match``, through the gateway, from a
browser origin (the CORS grant covers the headers they need)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
ORIGIN = "http://localhost:5173"
# Its own loopback source address: auth's per-address sign-up limit is this module's alone.
SOURCE_ADDRESS = "127.0.0.155"


@pytest.fixture
def gateway(stack: Any) -> Iterator[httpx.Client]:
    transport = httpx.HTTPTransport(local_address=SOURCE_ADDRESS)
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10, transport=transport) as client:
        yield client


def _signed_in(gateway: httpx.Client) -> dict[str, str]:
    name = f"contract_{uuid.uuid4().hex[:8]}"
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    registered = gateway.post("/api/v1/auth/register", json=body, headers=key)
    retried = gateway.post("/api/v1/auth/register", json=body, headers=key)
    assert (registered.status_code, retried.status_code) == (201, 201), retried.text
    assert retried.json() == registered.json()
    assert retried.headers["idempotent-replayed"] == "true"
    token = gateway.post("/api/v1/auth/login", data={"username": name, "password": PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}", "Origin": ORIGIN}


def test_a_retried_post_is_created_once_and_the_replay_is_readable_by_a_browser(
    gateway: httpx.Client,
) -> None:
    headers = {**_signed_in(gateway), "Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Once", "content": "only once"}
    first = gateway.post("/api/v1/posts", json=body, headers=headers)
    retry = gateway.post("/api/v1/posts", json=body, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 201), retry.text
    assert retry.json()["id"] == first.json()["id"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" in retry.headers["access-control-expose-headers"].lower()
    mine = gateway.get("/api/v1/posts", params={"author": first.json()["author"]["id"]}).json()["items"]
    assert [p["id"] for p in mine] == [first.json()["id"]]
    other = gateway.post("/api/v1/posts", json={**body, "title": "Other"}, headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"] == "tag:social-posts,2026:problems/idempotency-key-reused"


def test_a_stale_if_match_is_a_412_problem_and_the_current_one_wins(gateway: httpx.Client) -> None:
    headers = _signed_in(gateway)
    post = gateway.post("/api/v1/posts", json={"title": "Plan", "content": "v1"}, headers=headers).json()
    etag = gateway.get(f"/api/v1/posts/{post['id']}", headers=headers).headers["etag"]
    edited = gateway.patch(
        f"/api/v1/posts/{post['id']}", json={"content": "v2"}, headers={**headers, "If-Match": etag}
    )
    assert edited.status_code == 200, edited.text
    assert "etag" in edited.headers["access-control-expose-headers"].lower()
    stale = gateway.patch(
        f"/api/v1/posts/{post['id']}", json={"content": "lost?"}, headers={**headers, "If-Match": etag}
    )
    assert stale.status_code == 412, stale.text
    problem = stale.json()
    assert stale.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "tag:social-posts,2026:problems/precondition-failed"
    assert (problem["status"], problem["instance"]) == (412, stale.headers["x-request-id"])
    assert gateway.get(f"/api/v1/posts/{post['id']}").json()["content"] == "v2"

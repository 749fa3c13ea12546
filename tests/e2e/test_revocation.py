"""A signed-out token stops working on every service's own port, not only behind the gateway.

Services verify access tokens themselves (``common.identity``); they also ask auth's denylist in
Redis, so a client that reaches a service directly (inside the cluster) cannot use a revoked token.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"

#: One authenticated request per service, sent straight to its port: (service, method, path, body).
Probe = tuple[str, str, str, dict[str, Any] | None]


_SOURCES = itertools.count(160)


@pytest.fixture
def clients(stack: Any) -> Iterator[Callable[[str], httpx.Client]]:
    opened: dict[str, httpx.Client] = {}

    def client(name: str) -> httpx.Client:
        if name not in opened:
            url = stack.config.gateway_url if name == "gateway" else stack.config.service_url(name)
            # Sign-ups from an address of this test's own: auth allows 20 per address and period.
            source = httpx.HTTPTransport(local_address=f"127.0.0.{next(_SOURCES)}")
            opened[name] = httpx.Client(base_url=url, timeout=10, transport=source)
        return opened[name]

    yield client
    for opened_client in opened.values():
        opened_client.close()


def _signed_in(gateway: httpx.Client) -> tuple[str, str]:
    """A new account's user name and access token."""
    name = f"rev_{uuid.uuid4().hex[:8]}"
    body = {"email": f"{name}@example.com", "username": name, "password": PASSWORD}
    assert gateway.post("/api/v1/auth/register", json=body).status_code == 201
    login = gateway.post("/api/v1/auth/login", data={"username": name, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return name, str(login.json()["access_token"])


def _probes(client: Callable[[str], httpx.Client], token: str) -> list[Probe]:
    """What the token's owner can do on each port; the post to vote on is made with the token."""
    headers = {"Authorization": f"Bearer {token}"}
    post = client("posts").post(
        "/api/v1/posts", json={"title": "before", "content": "still signed in"}, headers=headers
    )
    assert post.status_code == 201, post.text
    return [
        ("auth", "GET", "/api/v1/auth/me", None),
        ("posts", "POST", "/api/v1/posts", {"title": "after", "content": "signed out"}),
        ("votes", "PUT", f"/api/v1/votes/{post.json()['id']}", None),
        ("votes", "GET", "/api/v1/votes/me", None),
        ("worker", "GET", "/internal/jobs", None),
    ]


def _answers(client: Callable[[str], httpx.Client], token: str, probes: list[Probe]) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {token}"}
    return {
        f"{service} {method} {path}": client(service)
        .request(method, path, json=body, headers=headers)
        .status_code
        for service, method, path, body in probes
    }


def test_after_logout_all_every_port_refuses_the_old_token(clients: Callable[[str], httpx.Client]) -> None:
    _, token = _signed_in(clients("gateway"))
    probes = _probes(clients, token)
    headers = {"Authorization": f"Bearer {token}"}
    signed_out = clients("gateway").post("/api/v1/auth/logout-all", headers=headers)
    assert signed_out.status_code in (200, 204), signed_out.text
    answers = _answers(clients, token, probes)
    assert answers == dict.fromkeys(answers, 401)


def test_after_account_deletion_every_port_refuses_the_old_token(
    clients: Callable[[str], httpx.Client],
) -> None:
    _, token = _signed_in(clients("gateway"))
    probes = _probes(clients, token)
    headers = {"Authorization": f"Bearer {token}"}
    deleted = clients("gateway").request("DELETE", "/api/v1/auth/users/me", headers=headers)
    assert deleted.status_code in (200, 204), deleted.text
    answers = _answers(clients, token, probes)
    assert answers == dict.fromkeys(answers, 401)


def test_a_live_token_still_works_on_every_port(clients: Callable[[str], httpx.Client]) -> None:
    """The check refuses only what was revoked: the same probes pass for a signed-in user."""
    _, token = _signed_in(clients("gateway"))
    answers = _answers(clients, token, _probes(clients, token))
    assert 401 not in answers.values(), answers

"""Account flows that cross services: reset by e-mail (auth → worker → SMTP), refresh, logout."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"


_SOURCES = itertools.count(245)


@pytest.fixture
def gateway(stack: Any) -> Iterator[httpx.Client]:
    # Each test from a loopback address of its own: auth limits sign-ups and sign-ins per address.
    source = httpx.HTTPTransport(local_address=f"127.0.0.{next(_SOURCES)}")
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10, transport=source) as client:
        yield client


def _register(gateway: httpx.Client) -> tuple[str, str]:
    name = f"acct_{uuid.uuid4().hex[:8]}"
    email = f"{name}@example.com"
    response = gateway.post(
        "/api/v1/auth/register", json={"email": email, "username": name, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return name, email


def _login(gateway: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    return gateway.post("/api/v1/auth/login", data={"username": name, "password": password})


def _mail_token(mail_catcher: Any, email: str) -> str:
    """The reset token in the mail the stack's catcher received (read through its own API)."""
    message = mail_catcher.wait_for(email, "reset")
    found = re.search(r"token=([^\s&]+)", message["text"])
    assert found, message["text"]
    return unquote(found.group(1))


def test_password_reset_through_the_captured_email_works_once(
    gateway: httpx.Client, mail_catcher: Any
) -> None:
    name, email = _register(gateway)
    old_session = {"Authorization": f"Bearer {_login(gateway, name).json()['access_token']}"}
    assert gateway.get("/api/v1/auth/me", headers=old_session).status_code == 200

    forgot = gateway.post("/api/v1/auth/password/forgot", json={"email": email})
    unknown = gateway.post("/api/v1/auth/password/forgot", json={"email": "nobody@example.com"})
    assert (forgot.status_code, forgot.json()) == (unknown.status_code, unknown.json())  # no enumeration

    token = _mail_token(mail_catcher, email)
    new_password = "a brand new long password"
    reset = gateway.post("/api/v1/auth/password/reset", json={"token": token, "new_password": new_password})
    assert reset.status_code in (200, 204), reset.text
    again = gateway.post(
        "/api/v1/auth/password/reset", json={"token": token, "new_password": "yet another password"}
    )
    assert again.status_code == 400  # single use

    assert gateway.get("/api/v1/auth/me", headers=old_session).status_code == 401  # every session revoked
    assert _login(gateway, name).status_code == 401
    assert _login(gateway, name, new_password).status_code == 200


def test_refresh_rotates_and_reuse_signs_the_session_out(gateway: httpx.Client) -> None:
    name, _ = _register(gateway)
    first = _login(gateway, name).json()
    rotated = gateway.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    # Rotated again, so the first token is a replay even inside the two-tabs grace window.
    rotated = gateway.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()

    reuse = gateway.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    # The whole family is gone: the rotated token and its access token stop working at once.
    assert (
        gateway.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code
        == 401
    )
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert gateway.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_logout_all_revokes_every_device_at_the_edge(gateway: httpx.Client) -> None:
    name, _ = _register(gateway)
    phone = {"Authorization": f"Bearer {_login(gateway, name).json()['access_token']}"}
    laptop = {"Authorization": f"Bearer {_login(gateway, name).json()['access_token']}"}
    sessions = gateway.get("/api/v1/auth/sessions", headers=phone)
    assert sessions.status_code == 200
    assert len(sessions.json()) >= 2
    assert gateway.post("/api/v1/auth/logout-all", headers=laptop).status_code in (200, 204)
    for device in (phone, laptop):
        refused = gateway.post("/api/v1/posts", json={"title": "t", "content": "c"}, headers=device)
        assert refused.status_code == 401

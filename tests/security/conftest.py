"""What the OWASP API Security Top 10 checklist needs: clients at the edge, accounts, the routed API.

Every client talks to the gateway of the shared e2e ``stack``. Each test's client leaves from a
loopback address of its own (127.0.0.50 and up), so the per-address limits one test exhausts on
purpose (sign-up, sign-in) never touch another test or suite.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

PASSWORD = "security is a process"
_ADDRESSES = itertools.count(50)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    token: str
    session_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Edge:
    """An HTTP client of the gateway, from its own address, with the account helpers tests need."""

    def __init__(self, gateway_url: str, source_address: str) -> None:
        self.source_address = source_address
        self.http = httpx.Client(
            base_url=gateway_url, timeout=10, transport=httpx.HTTPTransport(local_address=source_address)
        )

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(url, **kwargs)

    def register(self, name: str | None = None) -> str:
        name = name or f"sec_{uuid.uuid4().hex[:10]}"
        response = self.post(
            "/api/v1/auth/register",
            json={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        return name

    def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        return self.post("/api/v1/auth/login", data={"username": name, "password": password})

    def user(self) -> User:
        name = self.register()
        login = self.login(name)
        assert login.status_code == 200, login.text
        body = login.json()
        me = self.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        return User(me.json()["id"], name, body["access_token"], body["session_id"])

    def post_by(self, user: User, *, published: bool = True) -> str:
        response = self.post(
            "/api/v1/posts",
            json={"title": "mine", "content": "only mine to change", "published": published},
            headers=user.headers,
        )
        assert response.status_code == 201, response.text
        post_id: str = response.json()["id"]
        return post_id


@pytest.fixture
def edge(stack: Any) -> Iterator[Edge]:
    client = Edge(stack.config.gateway_url, f"127.0.0.{next(_ADDRESSES)}")
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def routed_operations(stack: Any) -> dict[str, dict[str, Any]]:
    """Every operation the gateway serves, from the documents it serves (what its /docs shows)."""
    operations: dict[str, dict[str, Any]] = {}
    for service in ("auth", "posts", "votes"):
        url = f"{stack.config.gateway_url}/api/v1/{service}/openapi.json"
        document = httpx.get(url, timeout=10).json()
        for path, item in document["paths"].items():
            for method, operation in item.items():
                operations[f"{method.upper()} {path}"] = operation
    return operations


@pytest.fixture(scope="session")
def admin(stack: Any) -> User:
    """A superuser made the operator's way (``python -m auth_service.cli create-superuser``)."""
    name = f"secadmin_{uuid.uuid4().hex[:8]}"
    command = ["create-superuser", "--email", f"{name}@example.com", "--username", name]
    env = {"DATABASE_URL": stack.config.database_url("auth"), "SUPERUSER_PASSWORD": PASSWORD}
    result = subprocess.run(
        [sys.executable, "-m", "auth_service.cli", *command],
        env={**os.environ, "ENVIRONMENT": "test", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    client = Edge(stack.config.gateway_url, f"127.0.0.{next(_ADDRESSES)}")
    try:
        login = client.login(name)
        assert login.status_code == 200, login.text
        body = login.json()
        me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
        return User(me.json()["id"], name, body["access_token"], body["session_id"])
    finally:
        client.close()

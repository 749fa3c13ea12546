"""What ``auth_service.hotpath`` relies on: the forwardAuth check answered by ``FastPaths`` ahead of
FastAPI's routing, named for the metrics like a route, and answering as the routes' contract says."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from auth_service import hotpath
from auth_service.forward_auth.service import FORWARD_AUTH_PATH, IDENTITY_HEADERS
from common.middleware import FastPaths

pytestmark = pytest.mark.usefixtures("client")


def _served(path: str, method: str = "GET") -> float:
    labels = {"service": "auth", "method": method, "route": path, "status": "200"}
    return REGISTRY.get_sample_value("http_requests_total", labels) or 0.0


def test_no_route_serves_the_check_and_fast_paths_is_given_it(app: FastAPI) -> None:
    assert [getattr(route, "path", None) for route in app.routes].count(FORWARD_AUTH_PATH) == 0
    fast_paths: Any = FastPaths
    wired = [m for m in app.user_middleware if m.cls is fast_paths]  # Starlette's Middleware(cls, kwargs)
    assert len(wired) == 1
    assert wired[0].kwargs["endpoints"] == hotpath.fast_endpoints()
    assert wired[0].kwargs["endpoints"][FORWARD_AUTH_PATH] is hotpath.forward_auth


async def test_the_check_is_answered_before_routing(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _served(FORWARD_AUTH_PATH), _served(FORWARD_AUTH_PATH, "HEAD")
    monkeypatch.setattr(app.router, "routes", [])  # FastAPI's router now knows no route at all
    assert (await client.get("/api/v1/auth/users/me")).status_code == 404
    checked = await client.get(FORWARD_AUTH_PATH)
    assert (checked.status_code, checked.content) == (200, b"")
    head = await client.head(FORWARD_AUTH_PATH)
    assert (head.status_code, head.content) == (200, b"")
    # FastPaths names the route, so the metrics count it under its path, as if routed.
    assert (_served(FORWARD_AUTH_PATH), _served(FORWARD_AUTH_PATH, "HEAD")) == (before[0] + 1, before[1] + 1)


async def test_its_answers_are_those_the_routes_document(
    app: FastAPI, client: httpx.AsyncClient, api
) -> None:
    account = await api.signup()
    passed = await client.get(FORWARD_AUTH_PATH, headers=account.headers)
    assert passed.status_code == 200
    assert [h for h in IDENTITY_HEADERS if h in passed.headers] == list(IDENTITY_HEADERS)
    # A refused token: the same problem document as a FastAPI route's 401, which the document declares.
    bad = {"Authorization": "Bearer not-a-token"}
    fast, routed = (
        await client.get(FORWARD_AUTH_PATH, headers=bad),
        await client.get("/api/v1/auth/users/me", headers=bad),
    )
    assert fast.status_code == routed.status_code == 401
    assert fast.headers["content-type"] == routed.headers["content-type"] == "application/problem+json"
    assert fast.headers["www-authenticate"] == routed.headers["www-authenticate"] == "Bearer"
    assert set(fast.json()) == set(routed.json())
    documented = app.openapi()["paths"]["/api/v1/auth/users/me"]["get"]["responses"]["401"]["content"]
    assert "application/problem+json" in documented

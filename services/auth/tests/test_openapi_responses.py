"""The OpenAPI document tells the truth: every status an auth route can answer is documented."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI


def _operations(app: FastAPI) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in app.openapi()["paths"].items()
        if path.startswith(("/api/", "/.well-known/"))
        for method, operation in item.items()
    }


def test_signed_in_routes_document_401_and_every_routed_route_429(app: FastAPI) -> None:
    for label, operation in _operations(app).items():
        documented = set(operation["responses"])
        assert "429" in documented, label
        if operation.get("security"):  # the route reads a bearer token
            assert "401" in documented, label
        if "/admin/" in label:
            assert "403" in documented, label
        if "{" in label:
            assert "404" in documented, label
        if "requestBody" in operation:
            assert {"400", "413", "422"} <= documented, label


def test_anonymous_routes_do_not_claim_a_401_they_never_send(app: FastAPI) -> None:
    operations = _operations(app)
    for label in (
        "POST /api/v1/auth/register",
        "POST /api/v1/auth/password/forgot",
        "GET /.well-known/jwks.json",
    ):
        assert "401" not in operations[label]["responses"], label
    for label in ("POST /api/v1/auth/login", "POST /api/v1/auth/refresh"):
        assert "401" in operations[label]["responses"], label


def test_conflicts_are_documented_where_they_happen(app: FastAPI) -> None:
    operations = _operations(app)
    for label in (
        "POST /api/v1/auth/register",
        "PATCH /api/v1/auth/users/me",
        "DELETE /api/v1/auth/users/me",
        "POST /api/v1/auth/verify/request",
        "PUT /api/v1/auth/admin/users/{user_id}/role",
        "POST /api/v1/auth/admin/users/{user_id}/deactivate",
        "POST /api/v1/auth/admin/tiers",
        "PATCH /api/v1/auth/admin/tiers/{name}",
        "DELETE /api/v1/auth/admin/tiers/{name}",
    ):
        assert "409" in operations[label]["responses"], label
    assert "403" in operations["POST /api/v1/auth/refresh"]["responses"]  # the cookie without X-CSRF-Token


async def test_the_documented_conflict_is_what_a_client_gets(client: httpx.AsyncClient, api) -> None:
    await api.register("olga")
    again = await client.post(
        "/api/v1/auth/register",
        json={"email": "olga@example.com", "username": "olga2", "password": "correct horse battery"},
    )
    assert again.status_code == 409
    assert set(again.json()) >= {"type", "title", "status", "detail", "instance"}

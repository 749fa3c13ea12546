"""PostgreSQL text cannot hold NUL: every field that reaches a query refuses it with a 422.

Found by the API fuzzer (tests/fuzz): each of these answered 500 before.
"""

from __future__ import annotations

import pytest

PASSWORD = "correct horse battery"
NUL = "a\x00b"
NUL_LIMIT = {"path_prefix": "/a\x00", "request_limit": 1, "period_seconds": 1}


async def test_sign_in_with_a_nul_in_the_login_is_a_422(client, api):
    await api.register("nina")
    form = await client.post("/api/v1/auth/login", data={"username": NUL, "password": PASSWORD})
    json = await client.post("/api/v1/auth/login/json", json={"login": NUL, "password": PASSWORD})
    platform = await client.post(
        "/api/v1/auth/login/json", json={"login": "nina", "password": PASSWORD, "platform": NUL}
    )
    assert [form.status_code, json.status_code, platform.status_code] == [422, 422, 422]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/auth/admin/tiers", {"name": "nul-desc", "description": NUL}),
        (
            "POST",
            "/api/v1/auth/admin/tiers",
            {
                "name": "nul-prefix",
                "limits": [{"path_prefix": "/a\x00", "request_limit": 1, "period_seconds": 1}],
            },
        ),
        ("PATCH", "/api/v1/auth/admin/tiers/free", {"description": NUL}),
    ],
)
async def test_admin_text_with_a_nul_is_a_422(client, api, method, path, body):
    admin = await api.admin()
    response = await client.request(method, path, json=body, headers=admin.headers)
    assert response.status_code == 422, response.text


async def test_admin_user_search_with_a_nul_is_a_422(client, api):
    admin = await api.admin()
    response = await client.get("/api/v1/auth/admin/users", params={"q": NUL}, headers=admin.headers)
    assert response.status_code == 422, response.text

"""Admin endpoints: who may call them, and what they do to accounts."""

from __future__ import annotations

import uuid

import pytest

from auth_service.accounts.bootstrap import bootstrap
from auth_service.settings import AuthSettings
from auth_service.state import state_of
from common.events.schemas import UserUpdated

#: Every admin route; ``{user}`` is replaced by a real user's id.
ADMIN_ROUTES = [
    ("GET", "/api/v1/auth/admin/users", None),
    ("GET", "/api/v1/auth/admin/users/{user}", None),
    ("PUT", "/api/v1/auth/admin/users/{user}/role", {"role": "user"}),
    ("PUT", "/api/v1/auth/admin/users/{user}/tier", {"tier": "free"}),
    ("POST", "/api/v1/auth/admin/users/{user}/reactivate", None),
    ("POST", "/api/v1/auth/admin/users/{user}/deactivate", None),
    ("GET", "/api/v1/auth/admin/tiers", None),
    ("POST", "/api/v1/auth/admin/tiers", {"name": "gold", "limits": []}),
    ("GET", "/api/v1/auth/admin/tiers/free", None),
    ("PATCH", "/api/v1/auth/admin/tiers/free", {"description": "d"}),
    (
        "PUT",
        "/api/v1/auth/admin/tiers/free/limits",
        {"limits": [{"path_prefix": "/", "request_limit": 9, "period_seconds": 1}]},
    ),
    ("DELETE", "/api/v1/auth/admin/tiers/unused", None),
]
IDS = [f"{m} {p}" for m, p, _ in ADMIN_ROUTES]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES, ids=IDS)
async def test_admin_routes_refuse_anonymous_401_and_users_403(client, api, method, path, body):
    user = await api.signup()
    url = path.format(user=user.id)
    anonymous = await client.request(method, url, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    forbidden = await client.request(method, url, json=body, headers=user.headers)
    assert forbidden.status_code == 403
    assert forbidden.json()["detail"] == "This needs the admin role"


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES, ids=IDS)
async def test_admin_routes_answer_an_admin(client, api, method, path, body):
    admin = await api.admin()
    user = await api.signup()
    if path.endswith("/unused"):
        await client.post("/api/v1/auth/admin/tiers", json={"name": "unused"}, headers=admin.headers)
    response = await client.request(method, path.format(user=user.id), json=body, headers=admin.headers)
    assert response.status_code in (200, 201, 204), response.text


async def test_list_users_pages_and_searches(client, api):
    admin = await api.admin()
    names = [f"page_{i}" for i in range(5)]
    for name in names:
        await api.register(name)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "q": "PAGE_", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/auth/admin/users", params=params, headers=admin.headers)).json()
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(names))  # newest first, each exactly once
    admins = await client.get("/api/v1/auth/admin/users", params={"role": "admin"}, headers=admin.headers)
    assert [u["username"] for u in admins.json()["items"]] == [admin.user["username"]]
    literal = await client.get("/api/v1/auth/admin/users", params={"q": "%"}, headers=admin.headers)
    assert literal.json()["items"] == []  # % is a character here, not a wildcard


async def test_list_users_refuses_bad_parameters(client, api):
    admin = await api.admin()
    for params in ({"limit": 0}, {"limit": 101}, {"role": "root"}, {"q": "x" * 101}):
        response = await client.get("/api/v1/auth/admin/users", params=params, headers=admin.headers)
        assert response.status_code == 422, params
    garbage = await client.get(
        "/api/v1/auth/admin/users", params={"cursor": "garbage"}, headers=admin.headers
    )
    assert garbage.status_code == 400
    assert "Invalid cursor" in garbage.json()["detail"]


async def test_view_one_user_and_404_for_unknown(client, api):
    admin = await api.admin()
    user = await api.signup("olive")
    response = await client.get(f"/api/v1/auth/admin/users/{user.id}", headers=admin.headers)
    assert response.json()["username"] == "olive"
    assert response.json()["is_active"] is True
    missing = await client.get(f"/api/v1/auth/admin/users/{uuid.uuid4()}", headers=admin.headers)
    assert missing.status_code == 404


async def test_promotion_applies_at_once_by_signing_the_user_out(client, api):
    admin = await api.admin()
    user = await api.signup("paul")
    response = await client.put(
        f"/api/v1/auth/admin/users/{user.id}/role", json={"role": "admin"}, headers=admin.headers
    )
    assert response.json()["role"] == "admin"
    assert (await api.forward_auth(user.access)).status_code == 401
    again = (await api.login("paul")).json()
    listed = await client.get(
        "/api/v1/auth/admin/users", headers={"Authorization": f"Bearer {again['access_token']}"}
    )
    assert listed.status_code == 200
    bad = await client.put(
        f"/api/v1/auth/admin/users/{user.id}/role", json={"role": "root"}, headers=admin.headers
    )
    assert bad.status_code == 422


async def test_admins_cannot_demote_or_deactivate_themselves(client, api):
    admin = await api.admin()
    demote = await client.put(
        f"/api/v1/auth/admin/users/{admin.id}/role", json={"role": "user"}, headers=admin.headers
    )
    assert demote.status_code == 409
    deactivate = await client.post(f"/api/v1/auth/admin/users/{admin.id}/deactivate", headers=admin.headers)
    assert deactivate.status_code == 409


async def test_deactivation_signs_out_and_blocks_sign_in_until_reactivated(client, api):
    admin = await api.admin()
    user = await api.signup("quentin")
    response = await client.post(f"/api/v1/auth/admin/users/{user.id}/deactivate", headers=admin.headers)
    assert response.json()["is_active"] is False
    assert (await api.forward_auth(user.access)).status_code == 401
    assert (await api.refresh(user.refresh)).status_code == 401
    assert (await api.login("quentin")).json()["detail"] == "This account is deactivated"
    assert await api.revoked_sessions() == {user.tokens["session_id"]}
    await client.post(f"/api/v1/auth/admin/users/{user.id}/reactivate", headers=admin.headers)
    assert (await api.login("quentin")).status_code == 200


async def test_deactivation_and_reactivation_tell_the_other_services(client, api):
    """posts hides a deactivated author's posts (and votes stops taking votes) from this event."""
    admin = await api.admin()
    user = await api.signup("rosalind")
    await client.post(f"/api/v1/auth/admin/users/{user.id}/deactivate", headers=admin.headers)
    await client.post(f"/api/v1/auth/admin/users/{user.id}/reactivate", headers=admin.headers)
    updates = [e for e in await api.events(UserUpdated.TYPE) if e["user_id"] == str(user.id)]
    assert [e["active"] for e in updates] == [False, True]
    assert updates[0]["updated_at"] < updates[1]["updated_at"]  # consumers order them by this


async def test_setting_a_tier_puts_it_in_the_next_token(client, api):
    admin = await api.admin()
    await client.post("/api/v1/auth/admin/tiers", json={"name": "pro"}, headers=admin.headers)
    user = await api.signup()
    response = await client.put(
        f"/api/v1/auth/admin/users/{user.id}/tier", json={"tier": "pro"}, headers=admin.headers
    )
    assert response.json()["tier"] == "pro"
    refreshed = (await api.refresh(user.refresh)).json()
    assert (await api.forward_auth(refreshed["access_token"])).headers["X-User-Tier"] == "pro"
    unknown = await client.put(
        f"/api/v1/auth/admin/users/{user.id}/tier", json={"tier": "nope"}, headers=admin.headers
    )
    assert unknown.status_code == 400
    assert "No tier named 'nope'" in unknown.json()["detail"]


async def test_the_first_admin_comes_from_settings_once(client, api, app, settings):
    configured = AuthSettings(
        **{
            **settings.model_dump(),
            "first_superuser_email": "root@example.com",
            "first_superuser_username": "root",
            "first_superuser_password": "a long root passphrase",
        }
    )
    for _ in range(2):  # a restart does not create a second one or fail
        await bootstrap(state_of(app).db, configured, state_of(app).passwords)
    token = (await api.login("root", "a long root passphrase")).json()["access_token"]
    identity = await api.forward_auth(token)
    assert identity.headers["X-User-Role"] == "admin"
    assert identity.headers["X-User-Verified"] == "true"


def test_a_half_configured_first_admin_is_refused(settings):
    with pytest.raises(ValueError, match="FIRST_SUPERUSER_PASSWORD"):
        AuthSettings(**{**settings.model_dump(), "first_superuser_email": "root@example.com"})

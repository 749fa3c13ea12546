"""Tiers: admin CRUD, and the limits forwardAuth enforces from them."""

from __future__ import annotations

import pytest

from auth_service.state import state_of
from common_testing import eventually

TIERS = "/api/v1/auth/admin/tiers"


def _limit(prefix: str, count: int, period: int = 60) -> dict[str, object]:
    return {"path_prefix": prefix, "request_limit": count, "period_seconds": period}


async def test_the_default_tier_exists_with_generous_limits(client, api):
    admin = await api.admin()
    [free] = (await client.get(TIERS, headers=admin.headers)).json()
    assert free["name"] == "free"
    assert free["is_default"] is True
    assert free["limits"] == [_limit("/api/", 120_000)]  # 2,000 requests a second, on average


async def test_tier_crud(client, api):
    admin = await api.admin()
    created = await client.post(
        TIERS,
        json={"name": "pro", "description": "Paying", "limits": [_limit("/api/v1/posts", 100)]},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["limits"] == [_limit("/api/v1/posts", 100)]
    duplicate = await client.post(TIERS, json={"name": "pro"}, headers=admin.headers)
    assert duplicate.status_code == 409
    patched = await client.patch(f"{TIERS}/pro", json={"description": "Paying users"}, headers=admin.headers)
    assert patched.json()["description"] == "Paying users"
    replaced = await client.put(
        f"{TIERS}/pro/limits",
        json={"limits": [_limit("/", 10, 1), _limit("/", 300, 60)]},
        headers=admin.headers,
    )
    assert {(x["request_limit"], x["period_seconds"]) for x in replaced.json()["limits"]} == {
        (10, 1),
        (300, 60),
    }
    assert (await client.get(f"{TIERS}/pro", headers=admin.headers)).json() == replaced.json()
    assert (await client.delete(f"{TIERS}/pro", headers=admin.headers)).status_code == 204
    assert (await client.get(f"{TIERS}/pro", headers=admin.headers)).status_code == 404
    assert (await client.delete(f"{TIERS}/pro", headers=admin.headers)).status_code == 404


async def test_making_another_tier_the_default(client, api):
    admin = await api.admin()
    await client.post(TIERS, json={"name": "basic"}, headers=admin.headers)
    response = await client.patch(f"{TIERS}/basic", json={"is_default": True}, headers=admin.headers)
    assert response.json()["is_default"] is True
    tiers = {t["name"]: t["is_default"] for t in (await client.get(TIERS, headers=admin.headers)).json()}
    assert tiers == {"basic": True, "free": False}
    await eventually(lambda: _default_is(api, "basic"))
    assert (await api.register())["tier"] == "basic"
    no_default = await client.patch(f"{TIERS}/basic", json={"is_default": False}, headers=admin.headers)
    assert no_default.status_code == 409


async def _default_is(api, name: str) -> bool:
    return bool(state_of(api.app).tier_cache.default_tier == name)


async def test_tiers_in_use_or_default_cannot_be_deleted(client, api):
    admin = await api.admin()
    default = await client.delete(f"{TIERS}/free", headers=admin.headers)
    assert default.status_code == 409
    assert "default tier" in default.json()["detail"]
    await client.post(TIERS, json={"name": "team"}, headers=admin.headers)
    user = await api.signup()
    await client.put(f"/api/v1/auth/admin/users/{user.id}/tier", json={"tier": "team"}, headers=admin.headers)
    in_use = await client.delete(f"{TIERS}/team", headers=admin.headers)
    assert in_use.status_code == 409
    assert "1 account(s)" in in_use.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Bad Name"},
        {"name": "x"},
        {"name": "a" * 33},
        {"name": "ok", "limits": [_limit("no-slash", 1)]},
        {"name": "ok", "limits": [_limit("/", 0)]},
        {"name": "ok", "limits": [_limit("/", 1, 0)]},
        {"name": "ok", "limits": [_limit("/", 1, 86_401)]},
        {"name": "ok", "limits": [_limit("/", 1), _limit("/", 2)]},
        {"name": "ok", "limits": [_limit(f"/p{i}", 1) for i in range(21)]},
        {"name": "ok", "extra": True},
    ],
)
async def test_bad_tier_input_is_a_422(client, api, body):
    admin = await api.admin()
    response = await client.post(TIERS, json=body, headers=admin.headers)
    assert response.status_code == 422, response.text


async def test_a_bad_tier_name_in_the_path_is_a_422(client, api):
    admin = await api.admin()
    assert (await client.get(f"{TIERS}/Not_Valid", headers=admin.headers)).status_code == 422


async def _set_limits(client, admin, tier: str, *limits: dict[str, object]) -> None:
    response = await client.put(
        f"{TIERS}/{tier}/limits", json={"limits": list(limits)}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


async def _limited_after(api, count: int, token: str | None, uri: str, ip: str = "10.7.7.7"):
    async def over() -> bool:
        response = await api.forward_auth(token, **{"X-Forwarded-Uri": uri, "X-Forwarded-For": ip})
        return bool(response.status_code == 429)

    await eventually(over)


async def test_a_tier_limit_produces_429_with_rate_limit_headers(client, api):
    admin = await api.admin()
    user = await api.signup()
    await _set_limits(client, admin, "free", _limit("/api/v1/posts", 3))
    headers = {"X-Forwarded-Uri": "/api/v1/posts?page=2", "X-Forwarded-Method": "GET"}

    async def limits_loaded() -> bool:
        return bool(state_of(api.app).tier_cache.rules_for("free", "/api/v1/posts"))

    await eventually(limits_loaded)
    answers = [await api.forward_auth(user.access, **headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["RateLimit-Limit"] == "3"
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert refused.headers["RateLimit-Reset"] == refused.headers["Retry-After"]
    assert "Rate limit" in refused.json()["detail"]
    other_path = await api.forward_auth(user.access, **{"X-Forwarded-Uri": "/api/v1/votes/x"})
    assert other_path.status_code == 200
    other_user = await api.signup()
    assert (await api.forward_auth(other_user.access, **headers)).status_code == 200


async def test_anonymous_callers_are_limited_per_address_under_the_default_tier(client, api):
    admin = await api.admin()
    await _set_limits(client, admin, "free", _limit("/api/v1/posts", 2))
    await _limited_after(api, 2, None, "/api/v1/posts", ip="10.8.8.8")
    elsewhere = await api.forward_auth(
        None, **{"X-Forwarded-Uri": "/api/v1/posts", "X-Forwarded-For": "10.8.8.9"}
    )
    assert elsewhere.status_code == 200
    assert "X-User-Id" not in elsewhere.headers


async def test_a_users_tier_decides_their_limits(client, api):
    admin = await api.admin()
    await client.post(TIERS, json={"name": "pro", "limits": [_limit("/api/", 1000)]}, headers=admin.headers)
    await _set_limits(client, admin, "free", _limit("/api/", 1))
    user = await api.signup()
    await client.put(f"/api/v1/auth/admin/users/{user.id}/tier", json={"tier": "pro"}, headers=admin.headers)
    pro_token = (await api.refresh(user.refresh)).json()["access_token"]

    async def pro_loaded() -> bool:
        cache = state_of(api.app).tier_cache
        return (
            bool(cache.rules_for("pro", "/api/x")) and cache.rules_for("free", "/api/x")[0].limit.count == 1
        )

    await eventually(pro_loaded)
    headers = {"X-Forwarded-Uri": "/api/v1/posts"}
    assert all([(await api.forward_auth(pro_token, **headers)).status_code == 200 for _ in range(5)])


async def test_limits_without_the_gateway_headers_are_not_applied(client, api):
    admin = await api.admin()
    await _set_limits(client, admin, "free", _limit("/", 1))
    user = await api.signup()
    statuses = {(await api.forward_auth(user.access)).status_code for _ in range(3)}
    assert statuses == {200}


async def test_another_process_picks_up_a_change_through_redis(client, api, app):
    """A second cache (as in another worker process) reloads when the change notice arrives."""
    from auth_service.tiers.cache import TierCache

    other = TierCache(
        state_of(app).db,
        state_of(app).redis,
        channel=state_of(app).tier_cache.channel,
        refresh_seconds=3600,
    )
    await other.reload()
    other.start()
    try:
        admin = await api.admin()
        await eventually(lambda: _subscribed(app))
        await _set_limits(client, admin, "free", _limit("/api/v1/votes", 7))

        async def seen() -> bool:
            rules = other.rules_for("free", "/api/v1/votes")
            return bool(rules) and rules[0].limit.count == 7

        await eventually(seen)
    finally:
        await other.stop()


async def _subscribed(app) -> bool:
    numsub = await state_of(app).redis.pubsub_numsub(state_of(app).tier_cache.channel)
    return bool(numsub[0][1] >= 2)


async def test_the_number_of_tiers_is_bounded(client, api, monkeypatch):
    from auth_service.tiers import service

    monkeypatch.setattr(service, "MAX_TIERS", 3)
    admin = await api.admin()
    for name in ("t1", "t2"):
        assert (await client.post(TIERS, json={"name": name}, headers=admin.headers)).status_code == 201
    refused = await client.post(TIERS, json={"name": "t3"}, headers=admin.headers)
    assert refused.status_code == 409
    assert "already 3 tiers" in refused.json()["detail"]

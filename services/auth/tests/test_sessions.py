"""Sessions per device: refresh with rotation and reuse detection, listing, revoking, signing out."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from auth_service.state import state_of


async def test_refresh_rotates_and_the_old_token_stops_working(client, api):
    account = await api.signup()
    first = await api.refresh(account.refresh)
    assert first.status_code == 200, first.text
    pair = first.json()
    assert pair["refresh_token"] != account.refresh
    assert pair["session_id"] == account.tokens["session_id"]
    assert (
        await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {pair['access_token']}"})
    ).status_code == 200
    second = await api.refresh(pair["refresh_token"])
    assert second.status_code == 200


async def _end_grace_window(app) -> None:
    """What the grace window's expiry does: the rotated pairs kept for a second tab are gone."""
    redis = state_of(app).redis
    keys = [key async for key in redis.scan_iter("auth:refresh:rotated:*")]
    assert keys, "the rotation kept its pair for the grace window"
    for key in keys:
        assert 0 < await redis.ttl(key) <= state_of(app).settings.refresh_reuse_grace_seconds
    await redis.delete(*keys)


async def test_two_tabs_refreshing_at_once_get_the_same_new_pair(client, api):
    account = await api.signup()
    first, second = await asyncio.gather(api.refresh(account.refresh), api.refresh(account.refresh))
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    assert first.json()["refresh_token"] == second.json()["refresh_token"] != account.refresh
    assert first.json()["access_token"] == second.json()["access_token"]
    headers = {"Authorization": f"Bearer {second.json()['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert (await api.refresh(second.json()["refresh_token"])).status_code == 200  # still signed in
    assert await api.revoked_sessions() == set()


async def test_within_the_window_a_token_rotated_twice_is_still_reuse(client, api):
    """The grace holds only while the pair it hands out is current: a replay after that is theft."""
    account = await api.signup()
    rotated = (await api.refresh(account.refresh)).json()
    assert (await api.refresh(rotated["refresh_token"])).status_code == 200
    reuse = await api.refresh(account.refresh)
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    assert await api.revoked_sessions() == {account.tokens["session_id"]}


async def test_reusing_a_rotated_token_revokes_the_whole_session(client, api, app, caplog):
    account = await api.signup()
    rotated = (await api.refresh(account.refresh)).json()
    await _end_grace_window(app)
    with caplog.at_level("WARNING", logger="auth.security"):
        reuse = await api.refresh(account.refresh)
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    assert any(getattr(r, "event", None) == "refresh_token_reuse" for r in caplog.records)
    # the legitimate holder's newer tokens die with the family
    assert (await api.refresh(rotated["refresh_token"])).status_code == 401
    fresh_headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert (await client.get("/api/v1/auth/me", headers=fresh_headers)).status_code == 401
    assert (await api.forward_auth(rotated["access_token"])).status_code == 401
    assert await api.revoked_sessions() == {account.tokens["session_id"]}


async def test_garbage_refresh_tokens_are_a_401(client, api):
    account = await api.signup()
    session_id = account.tokens["session_id"]
    for token in ("nonsense", f"{session_id}.guess", f"{uuid.uuid4()}.x", "a" * 256):
        response = await api.refresh(token)
        assert response.status_code == 401, token
    # a wrong guess does not hurt the real session
    assert (await api.refresh(account.refresh)).status_code == 200
    too_long = await api.refresh("a" * 257)
    assert too_long.status_code == 422


async def test_cookie_refresh_needs_the_csrf_header(client, api):
    account = await api.signup()
    cookie = {"Cookie": f"refresh_token={account.refresh}"}
    without = await client.post("/api/v1/auth/refresh", headers=cookie)
    assert without.status_code == 403
    assert "X-CSRF-Token" in without.json()["detail"]
    forged = await client.post("/api/v1/auth/refresh", headers={**cookie, "X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    good = await client.post(
        "/api/v1/auth/refresh", headers={**cookie, "X-CSRF-Token": account.tokens["csrf_token"]}
    )
    assert good.status_code == 200, good.text
    assert any(c.startswith("refresh_token=") for c in good.headers.get_list("set-cookie"))
    nothing = await client.post("/api/v1/auth/refresh")
    assert nothing.status_code == 401


async def test_sessions_lists_each_device_and_marks_the_current_one(client, api):
    phone = await api.signup("kate")
    laptop = (await api.login("kate", **{"X-Client-Platform": "web", "User-Agent": "Firefox"})).json()
    listed = await client.get("/api/v1/auth/sessions", headers=phone.headers)
    assert listed.status_code == 200
    by_id = {s["id"]: s for s in listed.json()}
    assert set(by_id) == {phone.tokens["session_id"], laptop["session_id"]}
    assert by_id[phone.tokens["session_id"]]["current"] is True
    assert by_id[laptop["session_id"]]["current"] is False
    assert by_id[laptop["session_id"]]["platform"] == "web"
    assert by_id[laptop["session_id"]]["user_agent"] == "Firefox"
    assert by_id[laptop["session_id"]]["ip"].startswith("10.")


async def test_revoking_one_session_signs_that_device_out_at_once(client, api):
    phone = await api.signup("liam")
    laptop = (await api.login("liam")).json()
    laptop_headers = {"Authorization": f"Bearer {laptop['access_token']}"}
    response = await client.delete(f"/api/v1/auth/sessions/{laptop['session_id']}", headers=phone.headers)
    assert response.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=laptop_headers)).status_code == 401
    assert (await api.forward_auth(laptop["access_token"])).status_code == 401
    assert (await api.refresh(laptop["refresh_token"])).status_code == 401
    assert (await client.get("/api/v1/auth/me", headers=phone.headers)).status_code == 200
    listed = await client.get("/api/v1/auth/sessions", headers=phone.headers)
    assert [s["id"] for s in listed.json()] == [phone.tokens["session_id"]]


async def test_someone_elses_session_is_a_404_and_stays_alive(client, api):
    alice = await api.signup()
    mallory = await api.signup()
    response = await client.delete(
        f"/api/v1/auth/sessions/{alice.tokens['session_id']}", headers=mallory.headers
    )
    assert response.status_code == 404
    assert (
        await client.delete(f"/api/v1/auth/sessions/{uuid.uuid4()}", headers=mallory.headers)
    ).status_code == 404
    assert (
        await client.delete("/api/v1/auth/sessions/not-a-uuid", headers=mallory.headers)
    ).status_code == 422
    assert (await client.get("/api/v1/auth/me", headers=alice.headers)).status_code == 200


async def test_session_routes_need_a_token(client):
    assert (await client.get("/api/v1/auth/sessions")).status_code == 401
    assert (await client.delete(f"/api/v1/auth/sessions/{uuid.uuid4()}")).status_code == 401
    assert (await client.post("/api/v1/auth/logout")).status_code == 401
    assert (await client.post("/api/v1/auth/logout-all")).status_code == 401


async def test_logout_revokes_the_current_session_only(client, api):
    phone = await api.signup("mia")
    laptop = (await api.login("mia")).json()
    response = await client.post("/api/v1/auth/logout", headers=phone.headers)
    assert response.status_code == 204
    assert any(
        c.startswith("refresh_token=") and "Max-Age=0" in c for c in response.headers.get_list("set-cookie")
    )
    assert (await client.get("/api/v1/auth/me", headers=phone.headers)).status_code == 401
    assert (await api.forward_auth(phone.access)).status_code == 401
    assert (await api.refresh(phone.refresh)).status_code == 401
    assert (await api.refresh(laptop["refresh_token"])).status_code == 200
    assert await api.revoked_sessions() == {phone.tokens["session_id"]}


async def test_logout_all_revokes_every_session(client, api):
    phone = await api.signup("noah")
    laptop = (await api.login("noah")).json()
    assert (await client.post("/api/v1/auth/logout-all", headers=phone.headers)).status_code == 204
    for token in (phone.access, laptop["access_token"]):
        assert (await api.forward_auth(token)).status_code == 401
    for token in (phone.refresh, laptop["refresh_token"]):
        assert (await api.refresh(token)).status_code == 401
    assert await api.revoked_sessions() == {phone.tokens["session_id"], laptop["session_id"]}


async def test_an_idle_session_expires(client, api):
    account = await api.signup()
    await api.sql(
        "UPDATE sessions SET last_used_at = now() - interval '15 days' WHERE id = :id",
        id=account.tokens["session_id"],
    )
    response = await api.refresh(account.refresh)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]
    assert (await client.get("/api/v1/auth/sessions", headers=account.headers)).json() == []


async def test_a_session_ends_at_its_absolute_lifetime_however_active(client, api):
    account = await api.signup()
    await api.sql(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = :id",
        id=account.tokens["session_id"],
    )
    response = await api.refresh(account.refresh)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


SIGNED_IN_ROUTES = [
    ("GET", "/api/v1/auth/me", None),
    ("GET", "/api/v1/auth/users/me", None),
    ("PATCH", "/api/v1/auth/users/me", {"username": "someone"}),
    ("DELETE", "/api/v1/auth/users/me", None),
    ("POST", "/api/v1/auth/password/change", {"current_password": "x", "new_password": "long enough pass"}),
    ("POST", "/api/v1/auth/verify/request", None),
    ("GET", "/api/v1/auth/sessions", None),
    ("DELETE", f"/api/v1/auth/sessions/{uuid.uuid4()}", None),
    ("POST", "/api/v1/auth/logout", None),
    ("POST", "/api/v1/auth/logout-all", None),
]


@pytest.mark.parametrize(
    ("method", "path", "body"), SIGNED_IN_ROUTES, ids=[f"{m} {p}" for m, p, _ in SIGNED_IN_ROUTES]
)
async def test_signed_in_routes_refuse_anonymous_callers(client, method, path, body):
    response = await client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "Authorization" in response.json()["detail"]


async def test_signing_in_beyond_the_session_limit_signs_the_least_recently_used_out(client, api, settings):
    oldest = await api.signup("olaf")
    others = [(await api.login("olaf")).json() for _ in range(settings.max_sessions_per_user - 1)]
    assert (await api.refresh(others[0]["refresh_token"])).status_code == 200  # now recently used
    newest = (await api.login("olaf")).json()
    assert (await api.forward_auth(oldest.access)).status_code == 401
    assert (await api.refresh(oldest.refresh)).status_code == 401
    listed = await client.get(
        "/api/v1/auth/sessions", headers={"Authorization": f"Bearer {newest['access_token']}"}
    )
    assert len(listed.json()) == settings.max_sessions_per_user
    assert oldest.tokens["session_id"] not in {s["id"] for s in listed.json()}
    assert await api.revoked_sessions() == {oldest.tokens["session_id"]}

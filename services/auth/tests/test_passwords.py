"""Forgotten, reset and changed passwords."""

from __future__ import annotations

import asyncio

from auth_service.state import state_of
from common.events.schemas import EmailVerificationRequested, PasswordResetRequested

NEW_PASSWORD = "a brand new passphrase"


async def _forgot(client, email: str, ip: str = "10.3.3.3"):
    return await client.post(
        "/api/v1/auth/password/forgot", json={"email": email}, headers={"X-Forwarded-For": ip}
    )


async def test_forgot_answers_the_same_whether_or_not_the_account_exists(client, api):
    await api.register("olga")
    known = await _forgot(client, "OLGA@example.com")
    unknown = await _forgot(client, "ghost@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [event] = await api.mailed(PasswordResetRequested.TYPE)
    assert event["email"] == "olga@example.com"
    assert event["username"] == "olga"


async def test_reset_token_works_once_and_signs_every_session_out(client, api):
    phone = await api.signup("pete")
    laptop = (await api.login("pete")).json()
    await _forgot(client, "pete@example.com")
    [event] = await api.mailed(PasswordResetRequested.TYPE)
    async with state_of(api.app).db.session() as session:
        from sqlalchemy import text

        stored = (await session.execute(text("SELECT token_hash FROM one_time_tokens"))).scalars().all()
    assert event["token"] not in stored  # only a hash is kept

    reset = await client.post(
        "/api/v1/auth/password/reset", json={"token": event["token"], "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 200, reset.text
    again = await client.post(
        "/api/v1/auth/password/reset",
        json={"token": event["token"], "new_password": "yet another passphrase"},
    )
    assert again.status_code == 400
    assert "invalid, already used or expired" in again.json()["detail"]

    for token in (phone.access, laptop["access_token"]):
        assert (await api.forward_auth(token)).status_code == 401
    assert (await api.refresh(phone.refresh)).status_code == 401
    assert await api.revoked_sessions() == {phone.tokens["session_id"], laptop["session_id"]}
    assert (await api.login("pete")).status_code == 401
    assert (await api.login("pete", NEW_PASSWORD)).status_code == 200


async def test_only_the_latest_reset_mail_works(client, api):
    await api.register("quinn")
    await _forgot(client, "quinn@example.com")
    await _forgot(client, "quinn@example.com")
    older, newer = await api.mailed(PasswordResetRequested.TYPE)
    body = {"new_password": NEW_PASSWORD}
    assert (
        await client.post("/api/v1/auth/password/reset", json={**body, "token": older["token"]})
    ).status_code == 400
    assert (
        await client.post("/api/v1/auth/password/reset", json={**body, "token": newer["token"]})
    ).status_code == 200


async def test_an_expired_reset_token_is_refused(client, api):
    await api.register("rita")
    await _forgot(client, "rita@example.com")
    [event] = await api.mailed(PasswordResetRequested.TYPE)
    await api.sql("UPDATE one_time_tokens SET expires_at = now() - interval '1 second'")
    response = await client.post(
        "/api/v1/auth/password/reset", json={"token": event["token"], "new_password": NEW_PASSWORD}
    )
    assert response.status_code == 400


async def test_reset_input_is_checked(client, api):
    await api.register("sam_reset")
    await _forgot(client, "sam_reset@example.com")
    [event] = await api.mailed(PasswordResetRequested.TYPE)
    short = await client.post(
        "/api/v1/auth/password/reset", json={"token": event["token"], "new_password": "short"}
    )
    assert short.status_code == 422
    same_as_name = await client.post(
        "/api/v1/auth/password/reset", json={"token": event["token"], "new_password": "sam_reset@example.com"}
    )
    assert same_as_name.status_code == 400
    assert "must not be your e-mail or username" in same_as_name.json()["detail"]
    missing = await client.post("/api/v1/auth/password/reset", json={"new_password": NEW_PASSWORD})
    assert missing.status_code == 422
    bad_email = await _forgot(client, "not an email")
    assert bad_email.status_code == 422


async def test_forgot_is_rate_limited_per_account_and_per_address(client, api, settings):
    await api.register("tina")
    for _ in range(settings.forgot_account_limit):
        assert (await _forgot(client, "tina@example.com", ip="10.4.4.4")).status_code == 202
    per_account = await _forgot(client, "tina@example.com", ip="10.4.4.5")
    assert per_account.status_code == 429
    assert int(per_account.headers["Retry-After"]) > 0
    for i in range(settings.forgot_ip_limit - settings.forgot_account_limit):
        await _forgot(client, f"other{i}@example.com", ip="10.4.4.4")
    per_address = await _forgot(client, "fresh@example.com", ip="10.4.4.4")
    assert per_address.status_code == 429
    assert "from this address" in per_address.json()["detail"]


async def test_change_password_needs_the_current_one_and_signs_other_sessions_out(client, api):
    phone = await api.signup("uma")
    laptop = (await api.login("uma")).json()
    wrong = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": "not it at all", "new_password": NEW_PASSWORD},
        headers=phone.headers,
    )
    assert wrong.status_code == 400
    assert "current password is incorrect" in wrong.json()["detail"]
    changed = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": phone.password, "new_password": NEW_PASSWORD},
        headers=phone.headers,
    )
    assert changed.status_code == 200, changed.text
    assert "1 other session" in changed.json()["detail"]
    assert (await client.get("/api/v1/auth/me", headers=phone.headers)).status_code == 200
    assert (await api.forward_auth(laptop["access_token"])).status_code == 401
    assert (await api.login("uma", NEW_PASSWORD)).status_code == 200
    assert (await api.login("uma", phone.password)).status_code == 401


async def test_change_password_needs_a_token_and_valid_input(client, api):
    account = await api.signup()
    anonymous = await client.post(
        "/api/v1/auth/password/change", json={"current_password": "x", "new_password": NEW_PASSWORD}
    )
    assert anonymous.status_code == 401
    short = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": account.password, "new_password": "short"},
        headers=account.headers,
    )
    assert short.status_code == 422


async def test_concurrent_wrong_current_passwords_are_limited_like_sign_in(client, api, settings):
    """change-password and change-email reserve their attempt before checking, as sign-in does."""
    account = await api.signup()

    async def change_password(i: int) -> int:
        body = {"current_password": f"wrong guess {i}", "new_password": NEW_PASSWORD}
        response = await client.post("/api/v1/auth/password/change", json=body, headers=account.headers)
        return int(response.status_code)

    async def change_email(i: int) -> int:
        body = {"email": f"new{i}@example.com", "current_password": f"wrong guess {i}"}
        response = await client.patch("/api/v1/auth/users/me", json=body, headers=account.headers)
        return int(response.status_code)

    codes = await asyncio.gather(
        *(change_password(i) for i in range(15)), *(change_email(i) for i in range(15))
    )
    assert set(codes) <= {400, 429}
    assert codes.count(400) <= settings.login_account_limit
    assert codes.count(429) >= 30 - settings.login_account_limit


async def test_a_reset_mailed_to_a_replaced_address_no_longer_works(client, api):
    account = await api.signup("vera")
    await _forgot(client, "vera@example.com")
    [event] = await api.mailed(PasswordResetRequested.TYPE)
    moved = await client.patch(
        "/api/v1/auth/users/me",
        json={"email": "vera.new@example.com", "current_password": account.password},
        headers=account.headers,
    )
    assert moved.status_code == 200, moved.text
    reset = await client.post(
        "/api/v1/auth/password/reset", json={"token": event["token"], "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 400
    assert "invalid, already used or expired" in reset.json()["detail"]
    assert (await api.login("vera", account.password)).status_code == 200


async def test_a_password_change_retires_mailed_reset_and_verification_links(client, api):
    account = await api.signup("walt")
    await _forgot(client, "walt@example.com")
    [reset_event] = await api.mailed(PasswordResetRequested.TYPE)
    assert (await client.post("/api/v1/auth/verify/request", headers=account.headers)).status_code == 202
    _, verify_event = await api.mailed(EmailVerificationRequested.TYPE)  # sign-up's, then this one
    changed = await client.post(
        "/api/v1/auth/password/change",
        json={"current_password": account.password, "new_password": NEW_PASSWORD},
        headers=account.headers,
    )
    assert changed.status_code == 200, changed.text
    reset = await client.post(
        "/api/v1/auth/password/reset",
        json={"token": reset_event["token"], "new_password": "yet another passphrase"},
    )
    assert reset.status_code == 400
    assert (
        await client.post("/api/v1/auth/verify", json={"token": verify_event["token"]})
    ).status_code == 400
    assert (await api.login("walt", NEW_PASSWORD)).status_code == 200

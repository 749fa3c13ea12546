"""The user's own profile (/users/me) and e-mail verification."""

from __future__ import annotations

from datetime import datetime

import jwt

from common.events.schemas import EmailVerificationRequested, UserDeleted, UserUpdated


async def test_users_me_reads_the_profile(client, api):
    account = await api.signup("vera")
    response = await client.get("/api/v1/auth/users/me", headers=account.headers)
    assert response.status_code == 200
    assert response.json()["username"] == "vera"
    assert response.json() == (await client.get("/api/v1/auth/me", headers=account.headers)).json()
    assert (await client.get("/api/v1/auth/users/me")).status_code == 401


async def test_changing_the_username_announces_it_with_a_fresh_timestamp(client, api):
    account = await api.signup("walt")
    before = datetime.fromisoformat(account.user["updated_at"])
    response = await client.patch(
        "/api/v1/auth/users/me", json={"username": "walter"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["username"] == "walter"
    [event] = await api.events(UserUpdated.TYPE)
    assert event["username"] == "walter"
    assert datetime.fromisoformat(event["updated_at"]) > before
    assert (await api.login("walter")).status_code == 200


async def test_a_patch_that_changes_nothing_announces_nothing(client, api):
    account = await api.signup("xena")
    response = await client.patch("/api/v1/auth/users/me", json={"username": "xena"}, headers=account.headers)
    assert response.status_code == 200
    assert await api.events(UserUpdated.TYPE) == []


async def test_changing_the_email_needs_the_password_and_a_new_verification(client, api):
    account = await api.signup("yann")
    body = {"email": "yann.new@example.com"}
    missing = await client.patch("/api/v1/auth/users/me", json=body, headers=account.headers)
    assert missing.status_code == 400
    assert "current_password is required" in missing.json()["detail"]
    wrong = await client.patch(
        "/api/v1/auth/users/me", json={**body, "current_password": "wrong one!"}, headers=account.headers
    )
    assert wrong.status_code == 400
    ok = await client.patch(
        "/api/v1/auth/users/me", json={**body, "current_password": account.password}, headers=account.headers
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["email"] == "yann.new@example.com"
    assert ok.json()["email_verified"] is False
    [updated] = await api.events(UserUpdated.TYPE)
    assert updated["email"] == "yann.new@example.com"
    _, verification = await api.events(EmailVerificationRequested.TYPE)  # sign-up's, then this one
    assert verification["email"] == "yann.new@example.com"


async def test_taken_names_are_a_409_ignoring_case(client, api):
    await api.signup("zoe")
    other = await api.signup("zack")
    taken = await client.patch("/api/v1/auth/users/me", json={"username": "ZOE"}, headers=other.headers)
    assert taken.status_code == 409
    email_taken = await client.patch(
        "/api/v1/auth/users/me",
        json={"email": "Zoe@Example.com", "current_password": other.password},
        headers=other.headers,
    )
    assert email_taken.status_code == 409


async def test_bad_profile_input_is_a_422(client, api):
    account = await api.signup()
    for body in ({"username": "no spaces allowed"}, {"email": "nope"}, {"role": "admin"}, {"tier": "pro"}):
        response = await client.patch("/api/v1/auth/users/me", json=body, headers=account.headers)
        assert response.status_code == 422, body


async def test_deleting_the_account_announces_it_and_kills_its_tokens(client, api):
    account = await api.signup("abby")
    response = await client.delete("/api/v1/auth/users/me", headers=account.headers)
    assert response.status_code == 204
    [event] = await api.events(UserDeleted.TYPE)
    assert event == {"user_id": account.id}
    assert (await api.forward_auth(account.access)).status_code == 401
    assert (await api.refresh(account.refresh)).status_code == 401
    assert (await api.login("abby")).status_code == 401
    assert (await client.delete("/api/v1/auth/users/me")).status_code == 401


async def test_email_verification_token_works_once_and_shows_in_profile_and_claims(client, api):
    account = await api.signup("bert")
    [registered] = await api.mailed(EmailVerificationRequested.TYPE)
    verified = await client.post("/api/v1/auth/verify", json={"token": registered["token"]})
    assert verified.status_code == 200, verified.text
    assert verified.json()["email_verified"] is True
    again = await client.post("/api/v1/auth/verify", json={"token": registered["token"]})
    assert again.status_code == 400
    refreshed = (await api.refresh(account.refresh)).json()
    claims = jwt.decode(refreshed["access_token"], options={"verify_signature": False})
    assert claims["email_verified"] is True
    identity = await api.forward_auth(refreshed["access_token"])
    assert identity.headers["X-User-Verified"] == "true"


async def test_requesting_a_new_verification_mail_retires_the_old_link(client, api, settings):
    account = await api.signup("cleo")
    [registered] = await api.mailed(EmailVerificationRequested.TYPE)
    response = await client.post("/api/v1/auth/verify/request", headers=account.headers)
    assert response.status_code == 202
    _, requested = await api.mailed(EmailVerificationRequested.TYPE)
    assert (await client.post("/api/v1/auth/verify", json={"token": registered["token"]})).status_code == 400
    assert (await client.post("/api/v1/auth/verify", json={"token": requested["token"]})).status_code == 200
    done = await client.post("/api/v1/auth/verify/request", headers=account.headers)
    assert done.status_code == 409
    assert (await client.post("/api/v1/auth/verify/request")).status_code == 401


async def test_verification_mails_are_rate_limited(client, api, settings):
    account = await api.signup()
    for _ in range(settings.verify_request_account_limit):
        assert (await client.post("/api/v1/auth/verify/request", headers=account.headers)).status_code == 202
    refused = await client.post("/api/v1/auth/verify/request", headers=account.headers)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0


async def test_bad_verification_input(client):
    assert (await client.post("/api/v1/auth/verify", json={"token": "made-up"})).status_code == 400
    assert (await client.post("/api/v1/auth/verify", json={})).status_code == 422
    assert (await client.post("/api/v1/auth/verify", json={"token": "x" * 300})).status_code == 422


async def test_an_admin_cannot_delete_their_own_account(client, api):
    admin = await api.admin()
    response = await client.delete("/api/v1/auth/users/me", headers=admin.headers)
    assert response.status_code == 409
    assert (await client.get("/api/v1/auth/me", headers=admin.headers)).status_code == 200

"""Signing in: both transports, the token's claims, and the brute-force limits."""

from __future__ import annotations

import asyncio
import time

import jwt

from auth_service.keys.keyring import KeyRing
from auth_service.state import state_of

PASSWORD = "correct horse battery"


async def test_form_login_returns_a_short_lived_signed_token_with_every_claim(client, api, app, settings):
    user = await api.register("carol")
    response = await api.login("carol")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    keyring: KeyRing = state_of(app).keyring
    header = jwt.get_unverified_header(body["access_token"])
    assert header == {"alg": "RS256", "kid": keyring.current.kid, "typ": "JWT"}
    claims = jwt.decode(
        body["access_token"],
        keyring.current.public_key,
        algorithms=["RS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["sub"] == user["id"]
    assert claims["sid"] == body["session_id"]
    assert claims["role"] == "user"
    assert claims["tier"] == "free"
    assert claims["email_verified"] is False
    assert claims["name"] == "carol"
    assert claims["typ"] == "access"
    assert len(claims["jti"]) >= 16
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
    assert abs(claims["iat"] - time.time()) < 60


async def test_login_by_email_ignores_case(client, api):
    await api.register("dave")
    response = await api.login("DAVE@EXAMPLE.COM")
    assert response.status_code == 200


async def test_json_login_works_and_names_the_platform(client, api):
    account = await api.signup("erin")
    response = await client.post(
        "/api/v1/auth/login/json", json={"login": "erin", "password": PASSWORD, "platform": "ios"}
    )
    assert response.status_code == 200, response.text
    sessions = await client.get("/api/v1/auth/sessions", headers=account.headers)
    assert {s["platform"] for s in sessions.json()} == {None, "ios"}


async def test_login_sets_an_http_only_secure_same_site_refresh_cookie(client, api):
    await api.register("frank")
    response = await api.login("frank")
    cookies = response.headers.get_list("set-cookie")
    refresh = next(c for c in cookies if c.startswith("refresh_token="))
    csrf = next(c for c in cookies if c.startswith("csrf_token="))
    assert response.json()["refresh_token"] in refresh
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/api/v1/auth"):
        assert attribute in refresh
    assert "HttpOnly" not in csrf
    assert "Secure" in csrf
    assert response.json()["csrf_token"] in csrf


async def test_wrong_password_and_unknown_user_get_the_same_401(client, api):
    await api.register("gina")
    wrong = await api.login("gina", "not the password")
    unknown = await api.login("nobody_here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Incorrect username or password"
    assert wrong.headers["www-authenticate"] == "Bearer"


async def test_oversized_or_missing_form_fields_are_a_422(client):
    missing = await client.post("/api/v1/auth/login", data={"username": "x"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"][-1] == "password"
    huge = await client.post("/api/v1/auth/login", data={"username": "x", "password": "p" * 129})
    assert huge.status_code == 422
    grant = await client.post(
        "/api/v1/auth/login", data={"username": "x", "password": "y", "grant_type": "client_credentials"}
    )
    assert grant.status_code == 422
    json_extra = await client.post(
        "/api/v1/auth/login/json", json={"login": "x", "password": "y", "admin": True}
    )
    assert json_extra.status_code == 422


async def test_repeated_failures_lock_the_account_with_retry_after(client, api, settings):
    await api.register("hank")
    for _ in range(settings.login_account_limit):
        assert (await api.login("hank", "wrong password!")).status_code == 401
    refused = await api.login("hank", PASSWORD)  # even the right password waits now
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "sign-in attempts for this account" in refused.json()["detail"]
    # the e-mail form of the same login counts against the same account
    assert (await api.login("hank@example.com", PASSWORD)).status_code == 429


async def test_one_address_is_limited_across_accounts(client, api, settings):
    await api.register("ivan")
    address = {"X-Forwarded-For": "10.20.30.40"}
    for i in range(settings.login_ip_limit):
        assert (await api.login(f"someone_{i}", "whatever", **address)).status_code == 401
    refused = await api.login("ivan", PASSWORD, **address)
    assert refused.status_code == 429
    assert "from this address" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) > 0
    assert (await api.login("ivan", PASSWORD)).status_code == 200


async def test_login_outcomes_are_counted(client, api, settings):
    async def count(outcome: str) -> float:
        text = (await client.get("/metrics")).text
        line = next(x for x in text.splitlines() if x.startswith(f'auth_logins_total{{outcome="{outcome}"}}'))
        return float(line.split()[-1])

    before = {o: await count(o) for o in ("ok", "failed", "rate_limited")}
    await api.signup("judy")
    await api.login("judy", "wrong password!")
    for _ in range(settings.login_account_limit):
        await api.login("judy", "wrong password!")
    assert await count("ok") == before["ok"] + 1
    assert await count("failed") == before["failed"] + settings.login_account_limit
    assert await count("rate_limited") == before["rate_limited"] + 1


async def test_openapi_offers_the_password_flow_for_the_authorize_button(client):
    schema = (await client.get("/openapi.json")).json()
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/v1/auth/login"
    form = schema["paths"]["/api/v1/auth/login"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in form


async def test_concurrent_wrong_guesses_cannot_exceed_the_account_limit(client, api, settings):
    """Guesses in flight together: each reserves its attempt before the slow password check."""
    await api.register("gina")
    answers = await asyncio.gather(*(api.login("gina", f"wrong guess {i}") for i in range(30)))
    codes = [answer.status_code for answer in answers]
    assert set(codes) <= {401, 429}
    assert codes.count(401) <= settings.login_account_limit
    assert codes.count(429) >= 30 - settings.login_account_limit


async def test_a_right_password_gives_its_attempt_back(client, api, settings):
    await api.register("gus")
    for _ in range(settings.login_account_limit - 1):
        assert (await api.login("gus", "wrong password!")).status_code == 401
    for _ in range(3):  # successes never use up the account's attempts
        assert (await api.login("gus", PASSWORD)).status_code == 200
    assert (await api.login("gus", "wrong password!")).status_code == 401
    assert (await api.login("gus", PASSWORD)).status_code == 429

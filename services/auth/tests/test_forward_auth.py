"""The gateway's check, and every token a client must not get past it (or past /me)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.state import state_of


async def test_no_authorization_is_anonymous_200_without_identity(client, api):
    response = await api.forward_auth(None)
    assert response.status_code == 200
    assert not any(h.lower().startswith("x-user") or h.lower() == "x-session-id" for h in response.headers)


async def test_a_valid_token_gives_identity_headers(client, api):
    account = await api.signup("rosa")
    response = await api.forward_auth(account.access)
    assert response.status_code == 200
    assert response.headers["X-User-Id"] == account.id
    assert response.headers["X-User-Name"] == "rosa"
    assert response.headers["X-User-Role"] == "user"
    assert response.headers["X-Session-Id"] == account.tokens["session_id"]
    assert response.headers["X-User-Tier"] == "free"
    assert response.headers["X-User-Verified"] == "false"


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Token abc"])
async def test_a_malformed_authorization_header_is_a_401(client, api, value):
    response = await client.get("/internal/forward-auth", headers={"Authorization": value})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "detail" in response.json()


# --- tokens that must be refused -----------------------------------------------------------------
Builder = Callable[[Any, Any, Any, Any], Awaitable[str]]


async def _alg_none(client, api, forger, account) -> str:
    return str(
        forger.raw({"alg": "none", "kid": forger.key.kid}, forger.claims(account.access), lambda _: b"")
    )


async def _hs256_with_public_key(client, api, forger, account) -> str:
    public_pem = forger.key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return str(
        forger.raw(
            {"alg": "HS256", "typ": "JWT", "kid": forger.key.kid},
            forger.claims(account.access),
            lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
        )
    )


async def _expired(client, api, forger, account) -> str:
    now = int(time.time())
    return str(forger.resign(account.access, iat=now - 3600, nbf=now - 3600, exp=now - 60))


async def _not_yet_valid(client, api, forger, account) -> str:
    return str(forger.resign(account.access, nbf=int(time.time()) + 3600))


async def _wrong_audience(client, api, forger, account) -> str:
    return str(forger.resign(account.access, aud="someone-else"))


async def _wrong_issuer(client, api, forger, account) -> str:
    return str(forger.resign(account.access, iss="https://evil.example.com"))


async def _refresh_token_as_access(client, api, forger, account) -> str:
    return str(account.refresh)


async def _refresh_typed_jwt(client, api, forger, account) -> str:
    return str(forger.resign(account.access, typ="refresh"))


async def _tampered_payload(client, api, forger, account) -> str:
    header, _, signature = account.access.split(".")
    claims = {**forger.claims(account.access), "role": "admin"}
    payload = forger.raw({}, claims, lambda _: b"").split(".")[1]
    return f"{header}.{payload}.{signature}"


async def _unknown_kid(client, api, forger, account) -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return str(forger.sign(forger.claims(account.access), kid="not-our-key", key=stranger))


async def _known_kid_other_key(client, api, forger, account) -> str:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return str(forger.sign(forger.claims(account.access), key=stranger))


async def _revoked_session(client, api, forger, account) -> str:
    assert (await client.post("/api/v1/auth/logout", headers=account.headers)).status_code == 204
    return str(account.access)


async def _deactivated_user(client, api, forger, account) -> str:
    admin = await api.admin()
    response = await client.post(f"/api/v1/auth/admin/users/{account.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200
    return str(account.access)


REFUSED: dict[str, Builder] = {
    "alg none": _alg_none,
    "HS256 signed with the public key": _hs256_with_public_key,
    "expired": _expired,
    "not yet valid (nbf in the future)": _not_yet_valid,
    "wrong aud": _wrong_audience,
    "wrong iss": _wrong_issuer,
    "refresh token as access token": _refresh_token_as_access,
    "JWT typed refresh": _refresh_typed_jwt,
    "tampered payload": _tampered_payload,
    "unknown kid": _unknown_kid,
    "right kid, other key": _known_kid_other_key,
    "revoked session": _revoked_session,
    "deactivated user": _deactivated_user,
}


async def _at_forward_auth(client, token: str):
    return await client.get(
        "/internal/forward-auth",
        headers={"Authorization": f"Bearer {token}", "X-Forwarded-Uri": "/api/v1/posts"},
    )


async def _at_me(client, token: str):
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("where", [_at_forward_auth, _at_me], ids=["forward-auth", "me"])
@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
async def test_bad_tokens_are_refused(client, api, forger, case, where):
    account = await api.signup()
    assert (await where(client, account.access)).status_code == 200  # the genuine token works
    token = await REFUSED[case](client, api, forger, account)
    response = await where(client, token)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert set(response.json()) >= {"type", "title", "status", "detail", "instance"}
    assert not any(h.lower().startswith("x-user") for h in response.headers)


async def test_forward_auth_runs_no_sql(client, api, app):
    """The hot path is memory and Redis only; a database hiccup cannot slow every request down."""
    from sqlalchemy import event

    account = await api.signup()
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = state_of(app).db.engine.sync_engine
    await state_of(app).tier_cache.stop()  # its periodic reload is the one other reader here
    event.listen(engine, "before_cursor_execute", record)
    try:
        for token in (account.access, None, "not-a-token"):
            await api.forward_auth(
                token, **{"X-Forwarded-Uri": "/api/v1/posts", "X-Forwarded-For": "10.0.0.1"}
            )
        during_forward_auth = [s for s in statements if "outbox" not in s]  # the relay's polling aside
        await client.get("/api/v1/auth/me", headers=account.headers)  # the listener does see queries
    finally:
        event.remove(engine, "before_cursor_execute", record)
        state_of(app).tier_cache.start()
    assert during_forward_auth == []
    assert any("FROM users" in s for s in statements)


# --- X-Client-Version: one check for every service ------------------------------------------------
@pytest.fixture
def minimum_version(app, monkeypatch):
    """Raise the served minimum for one test (the suite's settings keep the default, 0.0.0)."""
    from auth_service.forward_auth.client_version import ClientVersionPolicy

    def set_minimum(version: str) -> None:
        monkeypatch.setattr(state_of(app).forward_auth, "versions", ClientVersionPolicy(version))

    return set_minimum


async def test_without_a_minimum_every_well_formed_version_is_served(client, api):
    for version in (None, "0.0.0", "0.1.0-beta.1", "3.2.1+build.5"):
        headers = {"X-Client-Version": version} if version else {}
        assert (await api.forward_auth(None, **headers)).status_code == 200


@pytest.mark.parametrize("version", ["1.2", "v1.2.3", "latest", "1.2.3.4", "1.2.3-", "x" * 500])
async def test_a_malformed_client_version_is_a_400(client, api, version):
    response = await api.forward_auth(None, **{"X-Client-Version": version})
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("X-Client-Version must be a semantic version such as 1.4.2")
    assert len(detail) < 200  # a huge header is not echoed back whole


async def test_an_old_client_gets_426_naming_the_minimum(client, api, minimum_version):
    minimum_version("2.1.0")
    account = await api.signup()
    for version in ("2.0.9", "2.1.0-rc.1", "0.0.0"):
        response = await api.forward_auth(account.access, **{"X-Client-Version": version})
        assert response.status_code == 426, version
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == (
            f"Client version {version} is no longer supported; upgrade to 2.1.0 or later"
        )
        assert response.json()["type"] == "tag:social-posts,2026:problems/upgrade-required"
        assert response.json()["min_client_version"] == "2.1.0"
        assert response.headers["X-Min-Client-Version"] == "2.1.0"
        assert not any(h.lower().startswith("x-user") for h in response.headers)
    for version in ("2.1.0", "2.1.1", "10.0.0"):
        response = await api.forward_auth(account.access, **{"X-Client-Version": version})
        assert response.status_code == 200, version
        assert response.headers["X-User-Id"] == account.id
    assert (await api.forward_auth(account.access)).status_code == 200  # no header: served


async def test_the_version_is_checked_before_the_token(client, api, minimum_version):
    minimum_version("1.0.0")
    response = await api.forward_auth("not-a-token", **{"X-Client-Version": "0.9.0"})
    assert response.status_code == 426  # the upgrade is what the client must do first


# --- routes anyone may call: a stale token is ignored, not refused ----------------------------------
PUBLIC_URIS = [
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/login/json",
    "/api/v1/auth/refresh",
    "/api/v1/auth/refresh?source=app",
    "/api/v1/auth/password/forgot",
    "/api/v1/auth/password/reset",
    "/api/v1/auth/verify",
    "/api/v1/auth/.well-known/jwks.json",
    "/.well-known/jwks.json",
    "/docs",
    "/docs/swagger-ui-bundle.js",
    "/redoc",
    "/docs/redoc.standalone.js",
]
PROTECTED_URIS = [
    "/api/v1/auth/me",
    "/api/v1/auth/logout",
    "/api/v1/auth/verify/request",
    "/api/v1/auth/password/change",
    "/api/v1/auth/refreshx",
    "/api/v1/auth/%6Cogin",  # decodes to /login, but the gateway routes it as sent: refused, to be safe
    "/api/v1/auth/login/../me",
    "/api/v1/posts",
    "/api/v1/votes/me",
    "/docsx",
    "/redocx",
]


async def _stale_tokens(client, api, forger) -> dict[str, str]:
    account = await api.signup()
    now = int(time.time())
    expired = forger.resign(account.access, iat=now - 3600, nbf=now - 3600, exp=now - 60)
    revoked = await api.signup()
    assert (await client.post("/api/v1/auth/logout", headers=revoked.headers)).status_code == 204
    return {"expired": expired, "garbage": "not-a-token", "revoked": revoked.access}


async def test_a_stale_token_on_a_public_route_is_ignored(client, api, forger):
    tokens = await _stale_tokens(client, api, forger)
    for uri in PUBLIC_URIS:
        for kind, token in tokens.items():
            sent = {"X-Forwarded-Uri": uri, "X-Forwarded-For": "10.1.1.1"}
            response = await api.forward_auth(token, **sent)
            assert response.status_code == 200, (uri, kind, response.text)
            assert not any(h.lower().startswith("x-user") for h in response.headers), (uri, kind)
        malformed = await client.get(
            "/internal/forward-auth", headers={"Authorization": "Basic dXNlcjpwYXNz", "X-Forwarded-Uri": uri}
        )
        assert malformed.status_code == 200, uri


async def test_a_stale_token_anywhere_else_is_still_a_401(client, api, forger):
    tokens = await _stale_tokens(client, api, forger)
    for uri in PROTECTED_URIS:
        for kind, token in tokens.items():
            response = await api.forward_auth(token, **{"X-Forwarded-Uri": uri})
            assert response.status_code == 401, (uri, kind)
            assert response.headers["www-authenticate"] == "Bearer"
    # Without X-Forwarded-Uri nobody knows the route: refused as before.
    assert (await api.forward_auth(tokens["expired"])).status_code == 401


async def test_a_valid_token_on_a_public_route_still_gives_identity(client, api):
    account = await api.signup()
    response = await api.forward_auth(account.access, **{"X-Forwarded-Uri": "/api/v1/auth/refresh"})
    assert response.status_code == 200
    assert response.headers["X-User-Id"] == account.id


def test_anonymous_routes_match_exactly():
    from auth_service.forward_auth.service import anonymous_allowed

    assert anonymous_allowed("/api/v1/auth/login/")  # the service redirects it to /login
    assert anonymous_allowed("/docs/")
    assert not anonymous_allowed("/")
    assert not anonymous_allowed("/api/v1/auth")
    assert not anonymous_allowed("/api/v1/auth/login/json/extra")
    assert not anonymous_allowed("/API/v1/auth/login")

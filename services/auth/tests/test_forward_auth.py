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
    assert set(response.json()) == {"detail"}
    assert not any(h.lower().startswith("x-user") for h in response.headers)


async def test_forward_auth_runs_no_sql(client, api, app):
    """The hot path is memory and Redis only; a database hiccup cannot slow every request down."""
    from sqlalchemy import event

    account = await api.signup()
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    engine = app.state.db.engine.sync_engine
    await app.state.tier_cache.stop()  # its periodic reload is the one other reader here
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
        app.state.tier_cache.start()
    assert during_forward_auth == []
    assert any("FROM users" in s for s in statements)

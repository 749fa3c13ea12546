"""Token verification refuses every forgery and misuse a client could try."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from collections.abc import Callable
from types import SimpleNamespace

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
from cryptography.hazmat.primitives import serialization
from fastapi import FastAPI

from common.errors import Unauthorized, install_error_handlers
from common.identity import CurrentUser, Principal, TokenVerifier, VerifiedTokens, revoked_session_key
from common_testing import TokenFactory

#: libs/common's Redis database (AGENTS.md, test isolation).
REDIS_URL = "redis://127.0.0.1:6379/15"


def _claims(tokens: TokenFactory, **overrides: object) -> dict[str, object]:
    return {**tokens.claims(uuid.uuid4(), "alice"), **overrides}


async def test_a_valid_token_gives_the_principal(tokens: TokenFactory) -> None:
    user_id = uuid.uuid4()
    principal = await tokens.verifier().principal(tokens.token(user_id, "alice", role="admin"))
    assert principal.user_id == user_id
    assert principal.username == "alice"
    assert principal.is_admin


def _unsigned(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT', 'kid': 'test-key'})}.{part(claims)}."


def _hs256_with_public_key(tokens: TokenFactory, claims: dict[str, object]) -> str:
    public_pem = tokens.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": tokens.kid}
    signing_input = ".".join(
        base64.urlsafe_b64encode(json.dumps(x).encode()).decode().rstrip("=") for x in (header, claims)
    )
    import hashlib
    import hmac

    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).decode().rstrip('=')}"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("alg_none", "algorithm"),
        ("hs256_with_public_key", "algorithm"),
        ("expired", "expired"),
        ("not_yet_valid", "Invalid"),
        ("wrong_audience", "Invalid"),
        ("wrong_issuer", "Invalid"),
        ("refresh_token_type", "type"),
        ("tampered_payload", "Invalid"),
        ("unknown_kid", "key"),
        ("garbage", "Malformed"),
    ],
)
async def test_forged_or_misused_tokens_are_refused(tokens: TokenFactory, case: str, expected: str) -> None:
    good = _claims(tokens)
    issued_at = int(str(good["iat"]))
    builders: dict[str, Callable[[], str]] = {
        "alg_none": lambda: _unsigned(good),
        "hs256_with_public_key": lambda: _hs256_with_public_key(tokens, good),
        "expired": lambda: tokens.sign(_claims(tokens, exp=issued_at - 3600, iat=issued_at - 4000)),
        "not_yet_valid": lambda: tokens.sign(_claims(tokens, nbf=issued_at + 3600)),
        "wrong_audience": lambda: tokens.sign(_claims(tokens, aud="someone-else")),
        "wrong_issuer": lambda: tokens.sign(_claims(tokens, iss="https://evil.example")),
        "refresh_token_type": lambda: tokens.sign(_claims(tokens, typ="refresh")),
        "tampered_payload": lambda: _tamper(tokens.sign(good)),
        "unknown_kid": lambda: tokens.sign(good, headers={"kid": "rotated-away"}),
        "garbage": lambda: "not.a.jwt",
    }
    token = builders[case]()
    with pytest.raises(Unauthorized) as refused:
        await tokens.verifier().principal(token)
    assert expected in refused.value.detail
    assert refused.value.headers["WWW-Authenticate"] == "Bearer"


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


async def test_a_token_signed_by_another_key_with_our_kid_is_refused(tokens: TokenFactory) -> None:
    impostor = TokenFactory()
    with pytest.raises(Unauthorized):
        await tokens.verifier().principal(impostor.token(uuid.uuid4(), "mallory"))
    assert jwt.get_unverified_header(impostor.token(uuid.uuid4(), "m"))["kid"] == tokens.kid


class _Counting(TokenVerifier):
    """A real verifier that counts the signatures it checked."""

    calls = 0

    async def principal(self, token: str) -> Principal:
        self.calls += 1
        return await super().principal(token)


def _counting(tokens: TokenFactory) -> _Counting:
    plain = tokens.verifier()
    return _Counting(plain.keys, issuer=plain.issuer, audience=plain.audience)


async def test_a_verified_token_is_remembered_until_its_exp_and_no_longer(tokens: TokenFactory) -> None:
    verifier = _counting(tokens)
    remembered = VerifiedTokens(verifier)
    token = tokens.sign(_claims(tokens, exp=int(time.time()) + 1))
    first = await remembered.principal(token)
    assert await remembered.principal(token) == first
    assert verifier.calls == 1  # the second use checked no signature
    await asyncio.sleep(first.expires_at - time.time() + 0.1)
    await remembered.principal(token)  # past exp (within the verifier's 5 s leeway): checked again
    assert verifier.calls == 2
    await asyncio.sleep(first.expires_at + 5.1 - time.time())
    with pytest.raises(Unauthorized, match="Token expired"):
        await remembered.principal(token)


async def test_remembered_tokens_are_bounded_and_a_tampered_one_never_matches(tokens: TokenFactory) -> None:
    verifier = _counting(tokens)
    remembered = VerifiedTokens(verifier, max_entries=2)
    a, b, c = (tokens.token(uuid.uuid4(), name) for name in ("a", "b", "c"))
    for token in (a, b, c, c, b):
        await remembered.principal(token)
    assert verifier.calls == 3
    await remembered.principal(a)  # the oldest went out when c came in
    assert verifier.calls == 4
    with pytest.raises(Unauthorized, match="Invalid token"):
        await remembered.principal(_tamper(b))


async def test_a_remembered_token_is_refused_as_soon_as_its_session_is_revoked(tokens: TokenFactory) -> None:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"username": user.username}

    verifier = _counting(tokens)
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    token = tokens.sign(_claims(tokens, sub=str(user_id), sid=str(session_id)))
    headers = {"Authorization": f"Bearer {token}"}
    async with aioredis.Redis.from_url(REDIS_URL) as redis:
        # what CurrentUser reads of a service's state (common.state.ServiceState)
        app.state.service = SimpleNamespace(verified_tokens=VerifiedTokens(verifier), redis=redis)
        await redis.delete(revoked_session_key(session_id))
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://h") as client:
                assert (await client.get("/me", headers=headers)).json() == {"username": "alice"}
                assert (await client.get("/me", headers=headers)).status_code == 200
                assert verifier.calls == 1
                await redis.set(revoked_session_key(session_id), "1", ex=60)
                refused = await client.get("/me", headers=headers)
                assert refused.status_code == 401
                assert refused.json()["detail"] == "This session was signed out; sign in again"
        finally:
            await redis.delete(revoked_session_key(session_id))

"""Token verification refuses every forgery and misuse a client could try."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from common.errors import Unauthorized
from common.testing import TokenFactory


@pytest.fixture(scope="module")
def tokens() -> TokenFactory:
    return TokenFactory()


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

"""Signing keys: JWKS, rotation without downtime, and no start without a key outside development."""

from __future__ import annotations

import shutil
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth_service.keys.keyring import generate_key_file, thumbprint
from auth_service.main import create_app, load_keyring
from auth_service.settings import AuthSettings
from auth_service.state import state_of
from common_testing import serve


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


async def test_jwks_serves_the_public_keys(client, app):
    for path in ("/.well-known/jwks.json", "/api/v1/auth/.well-known/jwks.json"):
        response = await client.get(path)
        assert response.status_code == 200
        [key] = response.json()["keys"]
        assert key["kid"] == state_of(app).keyring.current.kid
        assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")
        assert "d" not in key
        assert "p" not in key
        assert "max-age" in response.headers["cache-control"]


async def test_a_token_signed_by_the_old_key_still_verifies_after_a_new_key_is_added(
    client, api, settings, keys_dir, tmp_path
):
    old = await api.signup()
    rotated_dir = tmp_path / "keys"
    shutil.copytree(keys_dir, rotated_dir)
    new_key = generate_key_file(rotated_dir)
    new_key.rename(rotated_dir / "zzzz-newest.pem")  # sorts last: it signs from now on
    restarted = create_app(
        AuthSettings(
            **{**settings.model_dump(), "jwt_private_keys_dir": str(rotated_dir), "run_background": False}
        )
    )
    async with serve(restarted) as other:
        jwks = (await other.get("/.well-known/jwks.json")).json()
        assert [k["kid"] for k in jwks["keys"]] == [Path(next(keys_dir.glob("*.pem"))).stem, "zzzz-newest"]
        verified = await other.get(
            "/internal/forward-auth", headers={"Authorization": f"Bearer {old.access}"}
        )
        assert verified.status_code == 200
        assert verified.headers["X-User-Id"] == old.id
        login = await other.post(
            "/api/v1/auth/login", data={"username": old.user["username"], "password": old.password}
        )
        assert jwt.get_unverified_header(login.json()["access_token"])["kid"] == "zzzz-newest"


@pytest.mark.parametrize("environment", ["production", "staging"])
def test_production_refuses_to_start_without_a_configured_key(settings, tmp_path, environment):
    empty = tmp_path / "no-keys"
    production = AuthSettings(
        **{
            **settings.model_dump(),
            "environment": environment,
            "amqp_url": "amqp://auth:s3cret@127.0.0.1:5672/",
            "mail_token_key": "a-real-mail-token-key",
            "jwt_private_keys_dir": str(empty),
        }
    )
    with pytest.raises(RuntimeError, match="no signing key configured"):
        create_app(production)
    assert not empty.exists()  # nothing was generated


def test_a_key_from_the_environment_signs_and_the_directory_keys_still_verify(settings, keys_dir):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    configured = AuthSettings(
        **{
            **settings.model_dump(),
            "environment": "production",
            "amqp_url": "amqp://auth:s3cret@127.0.0.1:5672/",
            "mail_token_key": "a-real-mail-token-key",
            "jwt_private_key": _pem(key),
        }
    )
    create_app(configured)  # the app builds with it (its state, and so its key ring, exist once started)
    keyring = load_keyring(configured)  # what create_app loads
    assert keyring.current.kid == thumbprint(key.public_key())
    assert len(keyring.keys) == 2


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        ("not a pem", "not a readable"),
        (_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)), "at least 2048"),  # noqa: S505 (refused),
    ],
)
def test_an_unusable_key_is_refused_at_start(settings, pem, message):
    with pytest.raises(RuntimeError, match=message):
        create_app(AuthSettings(**{**settings.model_dump(), "jwt_private_key": pem}))

"""Key rotation during a rolling deploy: publish first, sign later, and no verifier needs a restart.

Two auth replicas with different key sets (the new key's file has reached one of them only) stand
behind one JWKS address, a load balancer that sends each request to the next replica. A service
verifies with ``common.identity``'s JWKS cache at that address. Tokens from either replica must work
at the other, and at the service, before, during and after the rotation.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
from fastapi import FastAPI

from auth_service.keys.keyring import generate_key_file
from auth_service.main import create_app
from auth_service.settings import AuthSettings
from auth_service.state import state_of
from common.identity import JWKSKeySource, TokenVerifier
from common_testing import serve

JWKS_URL = "http://auth/.well-known/jwks.json"


class RoundRobin(httpx.AsyncBaseTransport):
    """One address in front of several replicas: each request goes to the next one."""

    def __init__(self) -> None:
        self.apps: list[FastAPI] = []
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        app = self.apps[self.sent % len(self.apps)]
        self.sent += 1
        return await httpx.ASGITransport(app).handle_async_request(request)


def _replica(settings: AuthSettings, keys: Path, balancer: RoundRobin) -> FastAPI:
    overrides = {"jwt_private_keys_dir": str(keys), "run_background": False, "jwks_url": JWKS_URL}
    return create_app(AuthSettings(**{**settings.model_dump(), **overrides}), jwks_transport=balancer)


def _kid(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


def _later(hours: int) -> Callable[[], datetime]:
    return lambda: datetime.now(UTC) + timedelta(hours=hours)


async def test_tokens_of_either_replica_work_everywhere_throughout_a_rotation(
    client, api, settings, keys_dir, tmp_path
):
    old_kid = next(keys_dir.glob("*.pem")).stem
    dir_a, dir_b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(keys_dir, dir_a)
    shutil.copytree(keys_dir, dir_b)
    new_key = generate_key_file(dir_b, delay_seconds=3600)  # published now, signs in an hour
    balancer = RoundRobin()
    a_app, b_app = _replica(settings, dir_a, balancer), _replica(settings, dir_b, balancer)

    async with serve(a_app) as a, serve(b_app) as b, httpx.AsyncClient(transport=balancer) as lb:
        balancer.apps = [a_app, b_app]
        service = TokenVerifier(
            JWKSKeySource(JWKS_URL, lb), issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )

        async def sign_in(replica: httpx.AsyncClient) -> str:
            """A new account's token from this replica (one account each: sessions per user are capped)."""
            user = await api.register(f"rot_{uuid.uuid4().hex[:8]}")
            form = {"username": user["username"], "password": "correct horse battery"}
            response = await replica.post(
                "/api/v1/auth/login", data=form, headers={"X-Forwarded-For": f"10.9.{balancer.sent % 250}.1"}
            )
            assert response.status_code == 200, response.text
            return str(response.json()["access_token"])

        async def works_everywhere(*tokens: str) -> None:
            for token in tokens:
                for replica in (a, b):
                    answer = await replica.get(
                        "/internal/forward-auth", headers={"Authorization": f"Bearer {token}"}
                    )
                    assert answer.status_code == 200, (_kid(token), answer.text)
                subject = jwt.decode(token, options={"verify_signature": False})["sub"]
                assert (await service.principal(token)).user_id == uuid.UUID(subject)

        # 1. The new key is published (B serves it) but signs nowhere yet.
        b_jwks = (await b.get("/.well-known/jwks.json")).json()
        assert new_key.stem in {k["kid"] for k in b_jwks["keys"]}
        first_a, first_b = await sign_in(a), await sign_in(b)
        assert _kid(first_a) == _kid(first_b) == old_kid
        await works_everywhere(first_a, first_b)

        # 2. The key's time comes at B; its file has not reached A's directory yet.
        state_of(b_app).keyring.clock = _later(2)
        rotated_b = await sign_in(b)
        assert _kid(rotated_b) == new_key.stem
        await works_everywhere(rotated_b)  # A learns the key from the replicas' JWKS

        # 3. The file reaches A, which re-reads its directory on its own and signs with it too.
        shutil.copy(new_key, dir_a / new_key.name)
        state_of(a_app).keyring.clock = _later(2)
        await state_of(a_app).auth_keys.reload()
        rotated_a = await sign_in(a)
        assert _kid(rotated_a) == new_key.stem
        await works_everywhere(rotated_a, first_a, first_b, rotated_b)


async def test_a_key_added_to_the_directory_verifies_without_a_restart(client, api, app, keys_dir):
    """The running app picks up a new key file when a token names it (no restart, no reload wait)."""
    new_key = generate_key_file(keys_dir, delay_seconds=3600)
    try:
        account = await api.signup()
        claims = jwt.decode(account.access, options={"verify_signature": False})
        signed_by_new_key = jwt.encode(
            claims, new_key.read_bytes(), algorithm="RS256", headers={"kid": new_key.stem}
        )
        state_of(app).auth_keys.reloaded_at = 0.0  # the last reload is long past
        answer = await api.forward_auth(signed_by_new_key)
        assert answer.status_code == 200, answer.text
        assert state_of(app).keyring.current.kid != new_key.stem  # published, not yet signing
    finally:
        new_key.unlink()
        state_of(app).keyring.reload()

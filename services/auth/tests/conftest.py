"""Auth runs against a real, freshly migrated ``auth_test`` database, Redis db 11 and RabbitMQ.

Between tests every table is emptied (then the default tier is put back, as on a fresh install),
the Redis database is flushed (denylist, brute-force and tier counters) and the tier cache reloads.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from auth_service.accounts.bootstrap import create_superuser
from auth_service.keys.keyring import generate_key_file
from auth_service.main import create_app
from auth_service.settings import AuthSettings
from auth_service.state import state_of
from auth_service.tiers.repository import ensure_default_tier
from common_testing import fresh_service
from common_testing.plugin import ServiceUnderTest

ALEMBIC_INI = Path(__file__).resolve().parents[1] / "alembic.ini"
REDIS_DB = 11  # each suite has its own Redis database (see AGENTS.md)
PASSWORD = "correct horse battery"

#: Small brute-force limits so the tests reach them quickly; production values are larger.
TEST_LIMITS: dict[str, Any] = {
    "login_ip_limit": 8,
    "login_account_limit": 4,
    "register_ip_limit": 5,
    "forgot_ip_limit": 4,
    "forgot_account_limit": 2,
    "verify_request_account_limit": 2,
    "max_sessions_per_user": 3,
}


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    generate_key_file(directory)
    return directory


@pytest.fixture(scope="session")
async def settings(keys_dir: Path) -> AuthSettings:
    overrides = await fresh_service(
        db_name="auth_test", alembic_ini=ALEMBIC_INI, prefix="test-auth.", redis_db=REDIS_DB
    )
    return AuthSettings(
        **overrides,
        jwt_private_keys_dir=str(keys_dir),
        argon2_memory_kib=1024,
        argon2_time_cost=1,
        **TEST_LIMITS,
    )


@pytest.fixture(scope="session")
def service_under_test(settings: AuthSettings) -> ServiceUnderTest:
    application = create_app(settings)

    async def reset() -> None:
        await reset_state(application)

    return ServiceUnderTest(application, reset=reset)


async def reset_state(app: FastAPI) -> None:
    """Empty every table; DELETE (users first: the rest cascades) is much quicker than TRUNCATE here."""
    async with state_of(app).db.engine.begin() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT tablename FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                )
            )
        ).scalars()
        for table in sorted(tables, key=lambda name: name != "users"):
            await conn.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 (names from pg_tables)
    async with state_of(app).db.session() as session:
        await ensure_default_tier(session)
        await session.commit()
    await state_of(app).tier_cache.reload()
    await state_of(app).redis.flushdb()


def _ip() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


class Account:
    """A registered user and their current tokens, as a client would hold them."""

    def __init__(self, user: dict[str, Any], tokens: dict[str, Any], password: str) -> None:
        self.user = user
        self.tokens = tokens
        self.password = password

    @property
    def id(self) -> str:
        return str(self.user["id"])

    @property
    def access(self) -> str:
        return str(self.tokens["access_token"])

    @property
    def refresh(self) -> str:
        return str(self.tokens["refresh_token"])

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


class Api:
    """Client-side helpers: register, sign in, read what auth wrote to its outbox."""

    def __init__(self, client: httpx.AsyncClient, app: FastAPI) -> None:
        self.client = client
        self.app = app

    async def register(self, name: str | None = None, *, password: str = PASSWORD) -> dict[str, Any]:
        name = name or f"u_{uuid.uuid4().hex[:10]}"
        response = await self.client.post(
            "/api/v1/auth/register",
            json={"email": f"{name}@example.com", "username": name, "password": password},
            headers={"X-Forwarded-For": _ip()},
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def login(self, login: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
        return await self.client.post(
            "/api/v1/auth/login",
            data={"username": login, "password": password},
            headers={"X-Forwarded-For": _ip(), **headers},
        )

    async def signup(self, name: str | None = None, *, password: str = PASSWORD) -> Account:
        user = await self.register(name, password=password)
        response = await self.login(user["username"], password)
        assert response.status_code == 200, response.text
        return Account(user, response.json(), password)

    async def admin(self) -> Account:
        name = f"admin_{uuid.uuid4().hex[:8]}"
        async with state_of(self.app).db.session() as session:
            user = await create_superuser(
                session,
                state_of(self.app).passwords,
                email=f"{name}@example.com",
                username=name,
                password=PASSWORD,
            )
            await session.commit()
        response = await self.login(name)
        assert response.status_code == 200, response.text
        return Account({"id": str(user.id), "username": name}, response.json(), PASSWORD)

    async def refresh(self, refresh_token: str) -> httpx.Response:
        return await self.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})

    async def forward_auth(self, token: str | None = None, **headers: str) -> httpx.Response:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return await self.client.get("/internal/forward-auth", headers=headers)

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        """Payloads of the events of this type in auth's outbox, oldest first."""
        async with state_of(self.app).db.session() as session:
            rows = await session.execute(
                text("SELECT envelope FROM outbox WHERE type = :type ORDER BY id"), {"type": event_type}
            )
            return [dict(row[0]["data"]) for row in rows]

    async def revoked_sessions(self) -> set[str]:
        """Ids of the sessions marked revoked (the record of a revocation; its reason is logged)."""
        async with state_of(self.app).db.session() as session:
            rows = await session.execute(text("SELECT id FROM sessions WHERE revoked_at IS NOT NULL"))
            return {str(row[0]) for row in rows}

    async def mailed(self, event_type: str) -> list[dict[str, Any]]:
        """Like ``events``, with the sealed token opened as the worker does (``token``)."""
        seal = state_of(self.app).seal
        return [{**data, "token": seal.open(data["sealed_token"])} for data in await self.events(event_type)]

    async def sql(self, statement: str, **params: Any) -> None:
        async with state_of(self.app).db.session() as session:
            await session.execute(text(statement), params)
            await session.commit()


@pytest.fixture
def api(client: httpx.AsyncClient, app: FastAPI) -> Api:
    return Api(client, app)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Forger:
    """Builds tokens the way an attacker (or a careless client) would, from a real one."""

    def __init__(self, app: FastAPI) -> None:
        self.key = state_of(app).keyring.current

    @staticmethod
    def claims(token: str) -> dict[str, Any]:
        return dict(jwt.decode(token, options={"verify_signature": False}))

    def sign(self, claims: dict[str, Any], *, kid: str | None = None, key: Any = None) -> str:
        return jwt.encode(
            claims, key or self.key.private_key, algorithm="RS256", headers={"kid": kid or self.key.kid}
        )

    def resign(self, token: str, **changes: Any) -> str:
        return self.sign({**self.claims(token), **changes})

    @staticmethod
    def raw(header: dict[str, Any], claims: dict[str, Any], signature: Callable[[bytes], bytes]) -> str:
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        return f"{signing_input}.{_b64(signature(signing_input.encode()))}"


@pytest.fixture
def forger(app: FastAPI) -> Forger:
    return Forger(app)

"""When Redis is away, auth refuses (503) what it cannot check instead of guessing or failing with 500."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from auth_service.main import create_app
from auth_service.settings import AuthSettings
from common_testing import serve


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def without_redis(client, api, settings) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A second auth process whose Redis is unreachable (nothing listens on its port)."""
    account = await api.signup("outage")
    isolated = AuthSettings(
        **{
            **settings.model_dump(),
            "redis_url": f"redis://127.0.0.1:{_closed_port()}/11",
            "run_background": False,
        }
    )
    async with serve(create_app(isolated)) as other:
        yield other, account.headers


async def test_without_redis_tokens_and_logins_get_a_503_not_a_500(without_redis):
    other, headers = without_redis
    checked = await other.get("/internal/forward-auth", headers=headers)
    assert checked.status_code == 503
    assert "try again" in checked.json()["detail"]
    me = await other.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 503
    login = await other.post("/api/v1/auth/login", data={"username": "outage", "password": "whatever it is"})
    assert login.status_code == 503
    anonymous = await other.get("/internal/forward-auth")  # nothing to check: still answered
    assert anonymous.status_code == 200

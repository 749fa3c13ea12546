"""The worker's scheduled cleanup event: expired sessions and spent tokens go, the counts are logged."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from auth_service.state import state_of
from common.events import add_event
from common.events.schemas import TokensCleanupRequested
from common_testing import eventually


async def _count(api, table: str) -> int:
    async with state_of(api.app).db.session() as session:
        return int((await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())  # noqa: S608


def _purged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "expired tokens purged"]


async def test_cleanup_event_purges_expired_sessions_and_spent_tokens(client, api, app, caplog):
    caplog.set_level(logging.INFO, logger="auth.handlers")
    live = await api.signup()
    expired = await api.signup()
    idle = await api.signup()
    await api.sql(
        "UPDATE sessions SET expires_at = now() - interval '1 minute' WHERE id = :id",
        id=expired.tokens["session_id"],
    )
    await api.sql(
        "UPDATE sessions SET last_used_at = now() - interval '30 days' WHERE id = :id",
        id=idle.tokens["session_id"],
    )
    await client.post("/api/v1/auth/password/forgot", json={"email": f"{live.user['username']}@example.com"})
    await api.sql(
        "UPDATE one_time_tokens SET expires_at = now() - interval '1 minute' WHERE purpose = 'password_reset'"
    )
    assert await _count(api, "sessions") == 3

    async with state_of(app).db.session() as session, session.begin():  # as the worker's schedule does
        await add_event(session, TokensCleanupRequested(scheduled_for=datetime.now(UTC)))

    [purged] = await eventually(lambda: asyncio.sleep(0, _purged(caplog)), within=15)
    counts = {key: getattr(purged, key) for key in ("sessions", "reset_tokens", "verification_tokens")}
    assert counts == {"sessions": 2, "reset_tokens": 1, "verification_tokens": 0}
    assert await _count(api, "sessions") == 1
    assert (await api.refresh(live.refresh)).status_code == 200
    assert await _count(api, "one_time_tokens") == 3  # the three unexpired verification tokens stay


async def test_cleanup_purges_used_and_retired_single_use_tokens_and_keeps_live_ones(
    client, api, app, caplog
):
    caplog.set_level(logging.INFO, logger="auth.handlers")
    used = await api.signup()
    await client.post("/api/v1/auth/password/forgot", json={"email": f"{used.user['username']}@example.com"})
    retired = await api.signup()
    assert (await client.post("/api/v1/auth/verify/request", headers=retired.headers)).status_code == 202
    await api.sql("UPDATE one_time_tokens SET used_at = now() WHERE purpose = 'password_reset'")
    # used: the reset token; retired: retired's first verification token; live: two verification tokens
    assert await _count(api, "one_time_tokens") == 4

    async with state_of(app).db.session() as session, session.begin():
        await add_event(session, TokensCleanupRequested(scheduled_for=datetime.now(UTC)))

    [purged] = await eventually(lambda: asyncio.sleep(0, _purged(caplog)), within=15)
    assert (purged.reset_tokens, purged.verification_tokens) == (1, 1)
    assert await _count(api, "one_time_tokens") == 2

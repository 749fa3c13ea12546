"""No usable single-use token rests in any database once its mail is sent.

Auth keeps only a token's hash; the event that asks the worker to mail it carries the token sealed
for the worker alone, so neither auth's outbox, nor posts (which reads ``auth.user.*``), nor the
worker's job and inbox rows hold it. The test reads the tokens from the captured mails, then scans
every text and JSON column of every table of the four services' databases for them.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any
from urllib.parse import unquote

import asyncpg
import httpx
import pytest

from common.db import asyncpg_dsn

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery staple"
SERVICES = ("auth", "posts", "votes", "worker")
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb")


def _mailed_token(mail_catcher: Any, email: str, path: str, within: float = 30.0) -> str:
    """The token of the first link to ``path`` in a mail to ``email`` (whichever mail carries it),
    read from the stack's mail catcher through its own API."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in mail_catcher.to(email):
            if found := re.search(rf"{re.escape(path)}\?token=([^\s&]+)", message["text"]):
                return unquote(found.group(1))
        time.sleep(0.1)
    raise AssertionError(f"no mail with a {path} link reached {email}")


async def _holders(database_url: str, secrets: list[str]) -> list[str]:
    """``table.column`` of every text or JSON column, in one database, that holds one of ``secrets``."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        columns = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND data_type = ANY($1::text[])",
            list(TEXT_TYPES),
        )
        found = []
        for table, column in columns:
            query = (
                f'SELECT count(*) FROM "{table}" '  # noqa: S608 (names from information_schema)
                f'WHERE strpos("{column}"::text, $1) > 0 OR strpos("{column}"::text, $2) > 0'
            )
            if await connection.fetchval(query, *secrets):
                found.append(f"{table}.{column}")
        return found
    finally:
        await connection.close()


def _jobs_done(stack: Any, email: str) -> None:
    """Wait until the worker recorded both mail jobs as sent (the state the scan must see)."""

    async def pending() -> int:
        connection = await asyncpg.connect(asyncpg_dsn(stack.config.database_url("worker")))
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM jobs WHERE type LIKE 'email.%' AND payload::text LIKE $1"
                    " AND status <> 'succeeded'",
                    f"%{email}%",
                )
            )
        finally:
            await connection.close()

    deadline = time.monotonic() + 30
    while asyncio.run(pending()) and time.monotonic() < deadline:
        time.sleep(0.2)


def test_no_database_holds_a_mailed_token_after_the_mail_is_sent(stack: Any, mail_catcher: Any) -> None:
    name = f"sec_{uuid.uuid4().hex[:8]}"
    email = f"{name}@example.com"
    # From an address of this test's own: auth allows 20 sign-ups per address and period.
    source = httpx.HTTPTransport(local_address="127.0.0.180")
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10, transport=source) as gateway:
        body = {"email": email, "username": name, "password": PASSWORD}
        assert gateway.post("/api/v1/auth/register", json=body).status_code == 201
        assert gateway.post("/api/v1/auth/password/forgot", json={"email": email}).status_code == 202
        verification = _mailed_token(mail_catcher, email, "/verify-email")
        reset = _mailed_token(mail_catcher, email, "/reset-password")
        _jobs_done(stack, email)

        holders = {
            service: asyncio.run(_holders(stack.config.database_url(service), [verification, reset]))
            for service in SERVICES
        }
        assert holders == {service: [] for service in SERVICES}

        # The tokens the mails carried are the real ones: they still work, once.
        assert gateway.post("/api/v1/auth/verify", json={"token": verification}).status_code == 200
        new = {"token": reset, "new_password": "a brand new passphrase"}
        assert gateway.post("/api/v1/auth/password/reset", json=new).status_code == 200

"""``python -m auth_service.cli create-superuser``: the first admin without a default password."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys

import pytest

from auth_service import cli


@pytest.fixture
def cli_env(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "ENVIRONMENT": "test",
        "ARGON2_MEMORY_KIB": "1024",
        "ARGON2_TIME_COST": "1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SUPERUSER_PASSWORD", raising=False)


async def test_create_superuser_reads_the_password_from_stdin(client, api, cli_env):
    result = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "auth_service.cli",
            "create-superuser",
            "--email",
            "boss@example.com",
            "--username",
            "boss",
        ],
        input="a boss passphrase\n",
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "created admin boss" in result.stdout
    assert "a boss passphrase" not in result.stdout + result.stderr
    token = (await api.login("boss", "a boss passphrase")).json()["access_token"]
    identity = await api.forward_auth(token)
    assert identity.headers["X-User-Role"] == "admin"


async def _main(*args: str) -> int:
    # main() runs its own event loop, as from a shell; give it a thread of its own.
    return await asyncio.to_thread(cli.main, ["create-superuser", *args])


async def test_create_superuser_reads_the_password_from_the_environment(client, api, cli_env, monkeypatch):
    monkeypatch.setenv("SUPERUSER_PASSWORD", "chief passphrase")
    assert await _main("--email", "chief@example.com", "--username", "chief") == 0
    assert (await api.login("chief", "chief passphrase")).status_code == 200


@pytest.mark.parametrize(
    ("stdin", "code", "message"),
    [
        ("", 2, "no password given"),
        ("short\n", 1, "at least 10"),
        ("long enough pass\n", 1, "already exists"),
    ],
)
async def test_create_superuser_refuses_bad_passwords_and_duplicates(
    client, api, cli_env, monkeypatch, capsys, stdin, code, message
):
    await api.register("taken")
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    email = "taken@example.com" if message == "already exists" else "new@example.com"
    assert await _main("--email", email, "--username", "new_admin") == code
    assert message in capsys.readouterr().err

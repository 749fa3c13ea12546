"""``docs/adding-a-service.md``, step 1, done for real: copy votes into a throwaway service, migrate
a fresh database with its own migrations, start it with uvicorn and ask it what a client would."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import httpx
import pytest

import common_testing
from common.dbtools import drop_database, ensure_database
from common.events.topology import Subscription
from common_testing import TEST_AMQP_URL, delete_topology, eventually
from common_testing.ports import FreePorts
from deploy.new_service import copy_service

NAME = "shapecheck"


@pytest.fixture
def service(tmp_path: Path) -> Path:
    return copy_service(NAME, into=tmp_path)


def test_copying_votes_renames_every_name_of_the_template(service: Path) -> None:
    assert (service / "src" / f"{NAME}_service" / "main.py").is_file()
    assert (service / "alembic.ini").is_file()
    leftovers = [
        f"{path.relative_to(service)}: {line.strip()}"
        for path in service.rglob("*")
        if path.is_file() and path.suffix in {".py", ".toml", ".ini", ".md"}
        for line in path.read_text().splitlines()
        if "votes_service" in line or "VotesSettings" in line or "/api/v1/votes" in line
    ]
    assert leftovers == []
    assert f'name = "{NAME}-service"' in (service / "pyproject.toml").read_text()
    with pytest.raises(FileExistsError):
        copy_service(NAME, into=service.parent)
    with pytest.raises(ValueError, match="lower-case"):
        copy_service("Bad-Name", into=service.parent)


async def _run(*args: str, env: dict[str, str], cwd: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


async def test_the_copy_migrates_a_fresh_database_and_starts(service: Path, free_port: FreePorts) -> None:
    database_url = common_testing.test_database_url(f"{NAME}_shape")
    prefix = f"shape-{uuid.uuid4().hex[:8]}."
    env = {
        **os.environ,
        "PYTHONPATH": str(service / "src"),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "EVENTS_PREFIX": prefix,
        # the retry queues delete_topology removes afterwards (its defaults)
        "CONSUMER_MAX_ATTEMPTS": "5",
        "CONSUMER_RETRY_BASE_MS": "200",
        "LOG_LEVEL": "WARNING",
    }
    await drop_database(database_url)
    await ensure_database(database_url)
    port = free_port()
    process: asyncio.subprocess.Process | None = None
    try:
        await _run(
            sys.executable, "-m", "alembic", "-c", "alembic.ini", "upgrade", "head", env=env, cwd=service
        )
        app = f"{NAME}_service.main:create_app"
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "uvicorn", app, "--factory", "--port", str(port)),
            env=env,
            cwd=service,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:

            async def ready() -> bool:
                assert process is not None
                assert process.returncode is None, "the copied service exited"
                try:
                    return (await client.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=60, interval=0.3)
            paths = (await client.get("/openapi.json")).json()["paths"]
            assert any(p.startswith(f"/api/v1/{NAME}/") for p in paths), sorted(paths)
            refused = await client.get(f"/api/v1/{NAME}/me")
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith("application/problem+json")
    finally:
        if process is not None and process.returncode is None:
            process.terminate()
            await process.wait()
        await drop_database(database_url)
        # the copy's own queues too: its subscription is not an installed one
        await delete_topology(TEST_AMQP_URL, prefix, also=[Subscription(NAME, ())])

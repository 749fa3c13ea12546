"""``docs/adding-a-service.md``, step 1, done for real: copy votes into a throwaway service, migrate
a fresh database with its own migrations, start it with uvicorn and ask it what a client would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from common.dbtools import drop_database, ensure_database
from common_testing import delete_topology, test_database_url
from deploy.new_service import copy_service

ROOT = Path(__file__).resolve().parents[2]
NAME = "shapecheck"
AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Path]:
    yield copy_service(NAME, into=tmp_path)


def test_copying_votes_renames_every_name_of_the_template(service: Path) -> None:
    package = service / "src" / f"{NAME}_service"
    assert (package / "main.py").is_file() and (service / "alembic.ini").is_file()
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


async def test_the_copy_migrates_a_fresh_database_and_starts(service: Path) -> None:
    database_url = test_database_url(f"{NAME}_shape")
    prefix = f"shape-{uuid.uuid4().hex[:8]}."
    env = {
        **os.environ,
        "PYTHONPATH": str(service / "src"),
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "EVENTS_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
    }
    await drop_database(database_url)
    await ensure_database(database_url)
    port = _free_port()
    process: subprocess.Popen[bytes] | None = None
    try:
        subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(service / "alembic.ini"), "upgrade", "head"],
            env=env,
            check=True,
            capture_output=True,
            cwd=service,
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", f"{NAME}_service.main:create_app", "--factory", "--port", str(port)],
            env=env,
            cwd=service,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                try:
                    if (await client.get("/health/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the copied service never became ready"
                time.sleep(0.3)
            paths = (await client.get("/openapi.json")).json()["paths"]
            assert any(p.startswith(f"/api/v1/{NAME}/") for p in paths), sorted(paths)
            refused = await client.get(f"/api/v1/{NAME}/me")
            assert refused.status_code == 401
            assert refused.headers["content-type"].startswith("application/problem+json")
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        await drop_database(database_url)
        await delete_topology(AMQP_URL, prefix)

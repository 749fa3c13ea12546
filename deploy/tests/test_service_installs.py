"""Every service run from its own install (``.venvs/<svc>``, as its image has it) with compose's settings.

The workspace's ``.venv`` holds every package, so a service that imports what its own package does not
declare works there and fails in its image. Here each service runs from the environment
:mod:`deploy.native.envs` makes with ``uv sync --package <svc>-service --no-dev``, with the environment
compose gives it (``deploy/compose/compose.yaml`` over its Dockerfile's ``ENV``). Only what names a
container is replaced by a local address: PostgreSQL, Redis, RabbitMQ, the S3 server (moto's, on a
loopback port, standing in for MinIO), auth's JWKS, posts and the SMTP server.

Each service: its migrations run from its own env; every module of its package imports there, and
the env sees none of the workspace's packages; it starts with uvicorn and answers ``/health/live`` and
``/health/ready``; a service on S3 storage puts and gets an object through its own settings and
``common.storage_config.open_storage``, which is what the worker does on its first media job.

Isolation: databases ``<svc>_installs_<random>`` (dropped after), Redis db 8, event prefix
``test-installs.``, free loopback ports.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shlex
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest
import redis
from moto.server import ThreadedMotoServer

from common.dbtools import drop_database
from common.storage_s3 import S3Storage
from common_testing import delete_topology
from common_testing.ports import FreePorts
from deploy import compose_checks
from deploy.dockerfile import service_image, stages
from deploy.native import envs
from deploy.render import REPO_ROOT, load_compose

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PG_BASE = "postgresql+asyncpg://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/8"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
EVENTS_PREFIX = "test-installs."
#: Settings this suite adds to compose's; everything else it sets must replace a compose setting.
ADDED = {"EVENTS_PREFIX"}
START_TIMEOUT = 90.0


def image_env(service: str) -> dict[str, str]:
    """The ``ENV`` of the service image's runtime stage, less ``PATH`` (the env's ``bin`` comes first).

    Less ``PYTHONDONTWRITEBYTECODE`` too: the image compiles its bytecode when it is built
    (``UV_COMPILE_BYTECODE=1``); here Python writes it on first import instead, or every process of
    every run would compile every module again.
    """
    runtime = stages(service_image(service))[-1]
    values: dict[str, str] = {}
    for instruction in runtime:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.arguments):
                key, _, value = pair.partition("=")
                values[key] = value
    values.pop("PATH", None)
    values.pop("PYTHONDONTWRITEBYTECODE", None)
    return values


def compose_env(service: str, variables: dict[str, str]) -> dict[str, str]:
    """The ``environment`` compose gives ``service``, interpolated with ``variables`` (as from .env)."""
    environment: dict[str, Any] = load_compose()["services"][service]["environment"]
    return {key: compose_checks.interpolate(str(value), variables) for key, value in environment.items()}


def dot_env() -> dict[str, str]:
    """A ``.env`` made as ``.env.example`` says: every ``change-me`` replaced by a generated secret."""
    return {
        key: secrets.token_hex(24) if value == "change-me" else value
        for key, value in compose_checks.env_example_keys().items()
    }


@dataclass
class Install:
    service: str
    python: Path
    workdir: Path
    port: int
    environ: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A command of this service's env, in its own working folder, with its settings."""
        return subprocess.run(
            list(args), cwd=self.workdir, env=self.environ, capture_output=True, text=True, timeout=120
        )


def local_settings(
    service: str, *, database: str, ports: dict[str, int], s3: str, smtp_port: int, keys: Path, prom: Path
) -> dict[str, str]:
    """What replaces each container address (and each container path) in the service's settings."""
    return {
        # Compose defaults to staging, which refuses the local broker's guest account.
        "ENVIRONMENT": "test",
        "DATABASE_URL": f"{PG_BASE}/{database}",
        "REDIS_URL": REDIS_URL,
        "AMQP_URL": AMQP_URL,
        "JWKS_URL": f"http://127.0.0.1:{ports['auth']}/.well-known/jwks.json",
        "POSTS_URL": f"http://127.0.0.1:{ports['posts']}",
        "VOTES_URL": f"http://127.0.0.1:{ports['votes']}",
        "S3_ENDPOINT_URL": s3,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "JWT_PRIVATE_KEYS_DIR": str(keys),
        "PROMETHEUS_MULTIPROC_DIR": str(prom),
        "EVENTS_PREFIX": EVENTS_PREFIX,
        # compose's Jaeger: no trace backend here, tracing off
        "OTEL_EXPORTER_OTLP_ENDPOINT": "",
    }


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def installs(
    s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory, free_port: FreePorts
) -> Iterator[dict[str, Install]]:
    """Each service synced, migrated from its own env and started, in compose's order (auth first)."""
    root = tmp_path_factory.mktemp("installs")
    variables = dot_env()
    ports = {service: free_port() for service in envs.SERVICES}
    suffix = uuid.uuid4().hex[:8]
    keys = root / "jwt-keys"
    made: dict[str, Install] = {}
    redis.Redis.from_url(REDIS_URL).flushdb()
    asyncio.run(delete_topology(AMQP_URL, EVENTS_PREFIX))
    try:
        for service in envs.SERVICES:
            python = envs.sync(service)
            workdir = root / service
            workdir.mkdir()
            compose = compose_env(service, variables)
            image = image_env(service)
            local = local_settings(
                service,
                database=f"{service}_installs_{suffix}",
                ports=ports,
                s3=s3_endpoint,
                smtp_port=free_port(),
                keys=keys,
                prom=workdir / "prometheus",
            )
            local = {k: v for k, v in local.items() if k in compose or k in image or k in ADDED}
            # The container's own: no variables of this shell, no .env in the working folder.
            base = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "LANG": "C.UTF-8"}
            environ = envs.service_environ(service, {**base, **image, **compose, **local})
            install = Install(service, python, workdir, ports[service], environ, workdir / "log")
            made[service] = install
            if "PROMETHEUS_MULTIPROC_DIR" in local:
                Path(local["PROMETHEUS_MULTIPROC_DIR"]).mkdir()
            if service == "auth":
                key = install.run(str(python), "-m", "auth_service.keys", str(keys))
                assert key.returncode == 0, key.stderr
            for step in (
                [str(python), "-m", "common.dbtools", "ensure", environ["DATABASE_URL"]],
                [
                    str(python.parent / "alembic"),
                    "-c",
                    str(REPO_ROOT / "services" / service / "alembic.ini"),
                    "upgrade",
                    "head",
                ],
            ):
                result = install.run(*step)
                assert result.returncode == 0, f"{service}: {' '.join(step)}\n{result.stdout}{result.stderr}"
            log: IO[bytes] = install.log_path.open("wb")
            with log:
                install.process = subprocess.Popen(  # the image's command, from the env's interpreter
                    [
                        str(python),
                        "-m",
                        "uvicorn",
                        f"{service}_service.main:create_app",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(install.port),
                    ],
                    cwd=workdir,
                    env=environ,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        yield made
    finally:
        for install in made.values():
            if install.process is not None and install.process.poll() is None:
                os.killpg(install.process.pid, signal.SIGTERM)
        for install in made.values():
            if install.process is not None:
                try:
                    install.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(install.process.pid, signal.SIGKILL)
                    install.process.wait()
        for service in made:
            asyncio.run(drop_database(f"{PG_BASE}/{service}_installs_{suffix}"))
        asyncio.run(delete_topology(AMQP_URL, EVENTS_PREFIX))
        redis.Redis.from_url(REDIS_URL).flushdb()


def _wait_for(install: Install, path: str) -> httpx.Response:
    """The first 200 from ``path``, or the last answer once ``START_TIMEOUT`` has passed."""
    deadline = time.monotonic() + START_TIMEOUT
    last: httpx.Response | None = None
    while True:
        assert install.process is not None
        code = install.process.poll()
        assert code is None, f"{install.service} exited with status {code}:\n{install.log()}"
        try:
            last = httpx.get(f"{install.url}{path}", timeout=5)
            if last.status_code == 200:
                return last
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            answer = "no answer" if last is None else f"{last.status_code} {last.text}"
            pytest.fail(f"{install.service} {path}: {answer}\n{install.log()}")
        time.sleep(0.25)


# What runs in the service's own interpreter. Every module of its package imports (a module that
# imports an undeclared package fails here), every module of common too (no test helper left in it:
# those are common_testing's, which only the workspace's dev group installs), and nothing of the
# workspace's .venv is visible.
_IMPORT_CHECK = """
import importlib, importlib.util, json, pkgutil, sys
from pathlib import Path
package = importlib.import_module(sys.argv[1])
modules = [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in modules:
    importlib.import_module(name)
import common
shared = [m.name for m in pkgutil.walk_packages(common.__path__, "common.")]
for name in shared:
    importlib.import_module(name)
leaks = [p for p in sys.path if Path(p).resolve().is_relative_to(sys.argv[2])]
dev_only = ("pytest", "moto", "mypy", "asgi_lifespan", "common_testing")
foreign = [m for m in dev_only if importlib.util.find_spec(m) is not None]
report = {"modules": modules, "common": shared, "leaks": leaks, "foreign": foreign, "prefix": sys.prefix}
print(json.dumps(report))
"""

# The storage path of the service: its settings, open_storage, a put then a get (the worker's first
# media job reads the upload and writes the results the same way).
_STORAGE_CHECK = """
import asyncio, importlib, sys, uuid
from common.storage_config import open_storage

async def main() -> None:
    settings = importlib.import_module(sys.argv[1] + ".settings").get_settings()
    assert settings.media_storage == "s3", settings.media_storage
    key = f"media/{uuid.uuid4()}/install-check.webp"
    async with open_storage(settings) as storage:
        await storage.put(key, b"RIFF-install-check", "image/webp")
        assert await storage.get(key) == b"RIFF-install-check"
        await storage.delete(key)
    print(type(storage).__name__)

asyncio.run(main())
"""


def test_only_container_addresses_are_replaced() -> None:
    """None of the settings the suite keeps from compose names a container."""
    containers = set(load_compose()["services"])
    for service in envs.SERVICES:
        compose = compose_env(service, dot_env())
        ports = dict.fromkeys(envs.SERVICES, 1)
        local = local_settings(
            service, database="x", ports=ports, s3="s3", smtp_port=1, keys=Path(), prom=Path()
        )
        kept = {k: v for k, v in compose.items() if k not in local}
        named = {
            k: v
            for k, v in kept.items()
            if v in containers or any(f"//{c}:" in v or f"@{c}:" in v for c in containers)
        }
        assert named == {}, f"{service}: settings still naming a container"
    # The two services that store media use S3 in compose, so the storage test covers both.
    assert ON_S3 == ["posts", "worker"]


def test_compose_interpolation_follows_compose_rules() -> None:
    variables = {"SET": "value", "EMPTY": ""}
    assert (
        compose_checks.interpolate("${SET:-d}/${EMPTY:-d}/${EMPTY-d}/${UNSET-d}", variables) == "value/d//d"
    )
    assert (
        compose_checks.interpolate("${SET:?m}/${SET:+alt}/${EMPTY:+alt}/$${SET}", variables)
        == "value/alt//${SET}"
    )
    with pytest.raises(KeyError, match="UNSET"):
        compose_checks.interpolate("${UNSET:?set UNSET}", variables)
    with pytest.raises(KeyError, match="EMPTY"):
        compose_checks.interpolate("${EMPTY:?set EMPTY}", variables)


def test_service_environ_shows_no_other_code() -> None:
    """Run from the checkout with a PYTHONPATH set, the env still sees only its own packages."""
    python = envs.sync("votes")
    leaky = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO_ROOT / "services/posts/src"),
        "VIRTUAL_ENV": "x",
    }
    environ = envs.service_environ("votes", leaky)
    assert "PYTHONPATH" not in environ
    assert environ["VIRTUAL_ENV"] == str(envs.env_dir("votes"))
    assert environ["PATH"].split(os.pathsep)[0] == str(envs.env_dir("votes") / "bin")
    probe = "import importlib.util as u; print([m for m in {names!r} if u.find_spec(m)])".format(
        names=("deploy", "tests", "posts_service", "pytest")
    )
    result = subprocess.run(
        [str(python), "-c", probe], cwd=REPO_ROOT, env=environ, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
    assert envs.python("votes") == python


@pytest.mark.parametrize("service", envs.SERVICES)
def test_service_imports_from_its_own_install_only(installs: dict[str, Install], service: str) -> None:
    install = installs[service]
    workspace_env = str(REPO_ROOT / ".venv")
    result = install.run(str(install.python), "-c", _IMPORT_CHECK, f"{service}_service", workspace_env)
    assert result.returncode == 0, f"{service} does not import from its own install:\n{result.stderr}"
    report = json.loads(result.stdout)
    assert Path(report["prefix"]) == envs.env_dir(service)
    assert report["modules"], "the package has no modules to import"
    assert "common.events.consumer" in report["common"]
    assert report["leaks"] == []
    assert report["foreign"] == []


@pytest.mark.parametrize("service", envs.SERVICES)
def test_service_starts_with_compose_settings(installs: dict[str, Install], service: str) -> None:
    install = installs[service]
    assert _wait_for(install, "/health/live").json() == {"status": "ok"}
    ready = _wait_for(install, "/health/ready").json()
    assert ready["status"] == "ok", ready


ON_S3 = [s for s in envs.SERVICES if compose_env(s, dot_env()).get("MEDIA_STORAGE") == "s3"]


@pytest.mark.parametrize("service", ON_S3)
def test_service_stores_media_on_s3_from_its_own_install(
    installs: dict[str, Install], s3_endpoint: str, service: str
) -> None:
    install = installs[service]
    assert install.environ["MEDIA_STORAGE"] == "s3"
    bucket = S3Storage(
        bucket=install.environ["S3_BUCKET"],
        endpoint_url=s3_endpoint,
        access_key_id=install.environ["S3_ACCESS_KEY_ID"],
        secret_access_key=install.environ["S3_SECRET_ACCESS_KEY"],
    )

    async def create_bucket() -> None:  # what compose's minio-init job does
        await bucket.ensure_bucket()
        await bucket.close()

    asyncio.run(create_bucket())
    result = install.run(str(install.python), "-c", _STORAGE_CHECK, f"{service}_service")
    assert result.returncode == 0, f"{service} cannot use its S3 storage:\n{result.stderr}"
    assert result.stdout.strip() == "S3Storage"

"""The native stack: every service as a local process behind the native gateway.

``make dev`` runs ``python deploy/native/stack.py up``; the end-to-end tests and ``make bench`` import
:class:`Stack` to start the same stack on their own ports, databases, Redis database and event
prefix, so a running dev stack and a test run never meet.

Order of work: check that PostgreSQL, Redis and RabbitMQ answer (and say how to start the one
that does not), create and migrate each service's database, make a development signing key if none
exists, start auth, posts, votes, worker and the gateway, wait until each is ready, print the
gateway URL. Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("auth", "posts", "votes", "worker")
START_HINTS = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no '
    "--dir /var/lib/redis --logfile /var/log/redis/ci.log",
    "RabbitMQ": "rabbitmq-server -detached",
}


@dataclass
class StackConfig:
    pg_base: str = os.environ.get("STACK_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
    redis_url: str = os.environ.get("STACK_REDIS_URL", "redis://127.0.0.1:6379/0")
    amqp_url: str = os.environ.get("STACK_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    gateway_port: int = 8000
    ports: dict[str, int] = field(
        default_factory=lambda: {"auth": 8001, "posts": 8002, "votes": 8003, "worker": 8004}
    )
    db_suffix: str = ""
    events_prefix: str = ""
    environment: str = "development"
    keys_dir: Path = ROOT / ".dev" / "keys"
    log_dir: Path | None = None
    workers: int = int(os.environ.get("WEB_CONCURRENCY", "1"))
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def service_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def database_url(self, name: str) -> str:
        return f"{self.pg_base}/{name}{self.db_suffix}"


def _hostport(url: str, default_port: int) -> tuple[str, int]:
    rest = url.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host, _, port = rest.partition(":")
    return host or "127.0.0.1", int(port or default_port)


def check_dependencies(config: StackConfig) -> list[str]:
    """Names of the backing services that do not accept connections."""
    targets = {
        "PostgreSQL": _hostport(config.pg_base, 5432),
        "Redis": _hostport(config.redis_url, 6379),
        "RabbitMQ": _hostport(config.amqp_url, 5672),
    }
    down = []
    for name, (host, port) in targets.items():
        try:
            with socket.create_connection((host, port), timeout=2):
                pass
        except OSError:
            down.append(name)
    return down


def _run(args: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(args, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def prepare(config: StackConfig) -> None:
    """Databases exist and are migrated; a signing key exists (development only)."""
    for name in SERVICES:
        url = config.database_url(name)
        _run([sys.executable, "-m", "common.dbtools", "ensure", url])
        _run(
            [sys.executable, "-m", "alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head"],
            env={"DATABASE_URL": url},
        )
    if not any(config.keys_dir.glob("*.pem")):
        _run([sys.executable, "-m", "auth_service.keys", str(config.keys_dir)])


def _service_env(config: StackConfig, name: str) -> dict[str, str]:
    return {
        "PYTHONUNBUFFERED": "1",
        "ENVIRONMENT": config.environment,
        "DATABASE_URL": config.database_url(name),
        "REDIS_URL": config.redis_url,
        "AMQP_URL": config.amqp_url,
        "EVENTS_PREFIX": config.events_prefix,
        "JWKS_URL": f"{config.service_url('auth')}/.well-known/jwks.json",
        "JWT_PRIVATE_KEYS_DIR": str(config.keys_dir),
        "POSTS_URL": config.service_url("posts"),
        "AUTH_URL": config.service_url("auth"),
        **config.extra_env,
    }


def commands(config: StackConfig) -> dict[str, tuple[list[str], dict[str, str]]]:
    procs: dict[str, tuple[list[str], dict[str, str]]] = {}
    for name in SERVICES:
        procs[name] = (
            [
                sys.executable,
                "-m",
                "uvicorn",
                f"{name}_service.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(config.ports[name]),
                "--workers",
                str(config.workers),
                "--no-access-log",
                "--timeout-graceful-shutdown",
                "5",
            ],
            _service_env(config, name),
        )
    procs["gateway"] = (
        [
            sys.executable,
            "-m",
            "native_gateway",
            "--config",
            str(ROOT / "gateway/traefik/dynamic/routes.yml"),
            "--host",
            "127.0.0.1",
            "--port",
            str(config.gateway_port),
        ],
        {
            "AUTH_URL": config.service_url("auth"),
            "POSTS_URL": config.service_url("posts"),
            "VOTES_URL": config.service_url("votes"),
            **config.extra_env,
        },
    )
    return procs


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []

    def start(self, names: list[str] | None = None) -> None:
        for name, (args, env) in commands(self.config).items():
            if names is not None and name not in names:
                continue
            out: IO[bytes] | None = None
            if self.config.log_dir is not None:
                self.config.log_dir.mkdir(parents=True, exist_ok=True)
                out = open(self.config.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop)
                self._logs.append(out)
            self.processes[name] = subprocess.Popen(  # noqa: S603
                args,
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT if out else None,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        pending = {n: f"{self.config.service_url(n)}/health/ready" for n in self.processes if n != "gateway"}
        if "gateway" in self.processes:
            pending["gateway"] = f"{self.config.gateway_url}/api/v1/auth/.well-known/jwks.json"
        while pending:
            for name, url in list(pending.items()):
                proc = self.processes[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {proc.returncode} while starting")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url, timeout=2).status_code == 200:
                        del pending[name]
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")
            time.sleep(0.2)

    def stop(self, names: list[str] | None = None, *, sig: int = signal.SIGTERM) -> None:
        targets = [n for n in self.processes if names is None or n in names]
        for name in targets:
            proc = self.processes[name]
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
        for name in targets:
            proc = self.processes.pop(name)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if names is None:
            for log in self._logs:
                log.close()
            self._logs.clear()


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def up(config: StackConfig) -> int:
    down = check_dependencies(config)
    if down:
        for name in down:
            print(f"{name} is not reachable. Start it with:\n    {START_HINTS[name]}", file=sys.stderr)
        return 1
    print("preparing databases and migrations ...", flush=True)
    prepare(config)
    stack = Stack(config)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        stack.start()
        stack.wait_ready()
        print(f"\nthe stack is up: gateway at {config.gateway_url}  (API docs: {config.gateway_url}/docs)")
        print("Ctrl-C stops everything.\n", flush=True)
        while True:
            for name, proc in stack.processes.items():
                if proc.poll() is not None:
                    print(f"{name} exited with status {proc.returncode}; stopping the stack", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping ...", file=sys.stderr)
        return 0
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "check", "prepare"])
    args = parser.parse_args(argv)
    config = StackConfig()
    if args.command == "check":
        down = check_dependencies(config)
        for name in down:
            print(f"{name} is not reachable. Start it with:\n    {START_HINTS[name]}", file=sys.stderr)
        return 1 if down else 0
    if args.command == "prepare":
        prepare(config)
        return 0
    return up(config)


if __name__ == "__main__":
    raise SystemExit(main())

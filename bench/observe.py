"""What the machine and the services saw during a run: CPU per process group, service-side latency.

CPU: utime + stime from ``/proc`` for each group of processes (a service's uvicorn supervisor and
its workers, PostgreSQL, Redis, RabbitMQ) before and after a run; the difference over the wall time
is the cores that group used. wrk's own CPU comes from ``getrusage(RUSAGE_CHILDREN)``.

Service-side latency: each service's ``http_request_duration_seconds`` histogram from ``/metrics``
before and after a run; the difference gives the run's latency inside the service (from the first
ASGI byte to the last, no network, no queueing in the kernel), estimated from the bucket bounds the
way Prometheus' ``histogram_quantile`` does.
"""

from __future__ import annotations

import os
import platform
import resource
from dataclasses import dataclass
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = [
    "STACK",
    "CpuMeter",
    "Histogram",
    "cpu_model",
    "efficiency",
    "histogram_quantile",
    "histograms",
    "scrape_histograms",
    "service_side",
    "tcp_connections",
]

#: (service, method, route template): a route whose service-side latency a run reads from /metrics.
Observed = tuple[str, str, str]

_TICKS = os.sysconf("SC_CLK_TCK")
#: Backing services, found by process name.
#: PostgreSQL counts only the bench's backends (``*_bench``, ``bench_events``) and the shared
#: auxiliary processes; Redis and RabbitMQ are one process each, shared with whoever else uses them.
BACKING = {"postgres": ("postgres",), "redis": ("redis-server",), "rabbitmq": ("beam.smp", "erl_child_setup")}
#: Groups that are the system under test (not the load generator, not the bench's own process).
STACK = ("auth", "posts", "votes", "worker", "gateway", "gateway-direct-fa", "postgres", "redis", "rabbitmq")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent not idle (all cores), from ``/proc/stat``."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    ticks = [int(v) for v in fields[:8]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / _TICKS


def _postgres_backend_of_others(pid: int) -> bool:
    """A PostgreSQL backend serving a database that is not the bench's (another suite's)."""
    try:
        title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    # Backends are titled "postgres: <user> <database> <client> <state>"; auxiliary processes
    # (checkpointer, walwriter, ...) are shared and stay in the postgres group.
    parts = title.split()
    if len(parts) < 3 or parts[0] != "postgres:" or "(" not in title:
        return False
    return "bench" not in parts[2]


def _proc_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds so far) for every process we can read."""
    table: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so split at the last ")".
        head, _, rest = raw.rpartition(")")
        comm = head.split("(", 1)[1]
        fields = rest.split()
        ppid = int(fields[1])
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
        table[int(entry.name)] = (ppid, comm, cpu)
    return table


class CpuMeter:
    """CPU seconds per group now; ``roots`` are process ids whose whole trees form one group each."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots

    def snapshot(self) -> dict[str, float]:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        out: dict[str, float] = {}
        for name, root in self.roots.items():
            total, stack = 0.0, [root]
            while stack:
                pid = stack.pop()
                if pid in table:
                    total += table[pid][2]
                stack.extend(children.get(pid, ()))
            out[name] = total
        for name, comms in BACKING.items():
            out[name] = sum(
                cpu
                for pid, (_, comm, cpu) in table.items()
                if comm in comms and not (comm == "postgres" and _postgres_backend_of_others(pid))
            )
        out["machine"] = _machine_busy_seconds()
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["wrk"] = usage.ru_utime + usage.ru_stime  # the bench's finished children: wrk runs
        self_usage = resource.getrusage(resource.RUSAGE_SELF)
        out["bench"] = self_usage.ru_utime + self_usage.ru_stime
        return out

    @staticmethod
    def cores(before: dict[str, float], after: dict[str, float], wall_s: float) -> dict[str, float]:
        """Cores each group used; ``other`` is what the machine did besides (someone else's load)."""
        if wall_s <= 0:
            return {}
        used = {name: (after[name] - before.get(name, 0.0)) / wall_s for name in after}
        machine = used.pop("machine", 0.0)
        used["other"] = max(0.0, machine - sum(used.values()))
        ranked = sorted(used.items(), key=lambda kv: -kv[1])
        return {name: round(value, 2) for name, value in ranked if value >= 0.01} | {
            "machine": round(machine, 2)
        }


def efficiency(cpu: dict[str, float], rps: float) -> dict[str, float]:
    """The stack's CPU ms per request over a run, and the req/s it could serve with every core."""
    stack_cores = sum(cpu.get(name, 0.0) for name in STACK)
    if rps <= 0 or stack_cores <= 0:
        return {}
    per_request = stack_cores / rps
    return {
        "stack_cpu_ms_per_request": round(per_request * 1000, 2),
        "ceiling_rps": round((os.cpu_count() or 1) / per_request, 0),
    }


@dataclass(frozen=True)
class Histogram:
    #: (upper bound in seconds, cumulative count), ascending, ending with +Inf.
    buckets: tuple[tuple[float, float], ...]
    count: float

    def minus(self, other: Histogram | None) -> Histogram:
        if other is None:
            return self
        previous = dict(other.buckets)
        return Histogram(
            tuple((le, c - previous.get(le, 0.0)) for le, c in self.buckets), self.count - other.count
        )


def scrape_histograms(base_url: str, service: str) -> dict[tuple[str, str], Histogram]:
    """(method, route) -> the service's request-duration histogram, from its ``/metrics``."""
    try:
        text = httpx.get(f"{base_url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    grouped: dict[tuple[str, str], dict[float, float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "http_request_duration_seconds":
            continue
        for sample in family.samples:
            if not sample.name.endswith("_bucket") or sample.labels.get("service") != service:
                continue
            key = (sample.labels["method"], sample.labels["route"])
            bound = float(sample.labels["le"])
            grouped.setdefault(key, {})
            grouped[key][bound] = grouped[key].get(bound, 0.0) + float(sample.value)
    out = {}
    for key, buckets in grouped.items():
        ordered = tuple(sorted(buckets.items()))
        out[key] = Histogram(ordered, ordered[-1][1] if ordered else 0.0)
    return out


def histograms(
    service_urls: dict[str, str], observed: tuple[Observed, ...]
) -> dict[Observed, Histogram | None]:
    """The request-duration histogram of each observed route now (``None``: not served yet)."""
    scraped = {svc: scrape_histograms(service_urls[svc], svc) for svc in {svc for svc, _, _ in observed}}
    return {(svc, m, r): scraped[svc].get((m, r)) for svc, m, r in observed}


def service_side(
    service_urls: dict[str, str], before: dict[Observed, Histogram | None]
) -> dict[str, dict[str, float | int | None]]:
    """Per observed route, the requests and p50/p99 the service measured since ``before``."""
    after = histograms(service_urls, tuple(before))
    out: dict[str, dict[str, float | int | None]] = {}
    for (svc, method, route), previous in before.items():
        now = after[(svc, method, route)]
        if now is None:
            continue
        delta = now.minus(previous)
        out[f"{svc} {method} {route}"] = {
            "count": int(delta.count),
            "p50_ms": histogram_quantile(0.5, delta),
            "p99_ms": histogram_quantile(0.99, delta),
        }
    return out


def histogram_quantile(q: float, histogram: Histogram) -> float | None:
    """Milliseconds; linear within the bucket, the last finite bound if it falls in +Inf."""
    if histogram.count <= 0:
        return None
    rank = q * histogram.count
    lower, below = 0.0, 0.0
    for bound, cumulative in histogram.buckets:
        if cumulative >= rank:
            if bound == float("inf"):
                return round(lower * 1000, 2)
            inside = cumulative - below
            fraction = (rank - below) / inside if inside > 0 else 1.0
            return round((lower + (bound - lower) * fraction) * 1000, 2)
        lower, below = bound, cumulative
    return round(lower * 1000, 2)


def _tcp_entries() -> list[tuple[tuple[str, int], tuple[str, int]]]:
    """(local, remote) address of every TCP socket in /proc/net/tcp and tcp6, TIME_WAIT included."""
    entries = []
    for name in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) < 4 or fields[3] == "0A":  # 0A: LISTEN
                continue
            (local_ip, local_port), (remote_ip, remote_port) = (f.split(":") for f in fields[1:3])
            entries.append(((local_ip, int(local_port, 16)), (remote_ip, int(remote_port, 16))))
    return entries


def tcp_connections(ports: dict[str, int]) -> dict[str, set[tuple[str, int]]]:
    """Per named server port, the connections to it that the kernel knows, as (client address, port).

    Both ends of a loopback connection are listed, and a closed one stays in TIME_WAIT on whichever
    end closed first for 60 s, so the client's (address, port) names each connection opened in the
    last minute once. The difference of two snapshots a run apart is the connections the run opened.
    """
    by_port = {port: name for name, port in ports.items()}
    seen: dict[str, set[tuple[str, int]]] = {name: set() for name in ports}
    for local, remote in _tcp_entries():
        if remote[1] in by_port:  # the client's end
            seen[by_port[remote[1]]].add(local)
        elif local[1] in by_port:  # the server's end
            seen[by_port[local[1]]].add(remote)
    return seen

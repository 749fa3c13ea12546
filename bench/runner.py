"""Runs wrk scenarios against a target and measures each: throughput, latency, CPU, new connections."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import loadgen, mixed, observe
from bench.stackctl import Target

__all__ = ["Runner", "Scenario"]


@dataclass(frozen=True)
class Scenario:
    """One wrk run: a request mode (``scenario.lua``) against the gateway or one service's port."""

    key: str
    title: str
    via: str  # "gateway" or the service whose port is hit
    mode: str
    connections: int
    #: (service, method, route template) whose service-side latency is read from /metrics.
    observed: tuple[observe.Observed, ...]
    files: dict[str, str] = field(default_factory=dict)
    #: Runs whose requests create something: their sequence continues across runs (scenario.lua).
    sequenced: bool = False


class Runner:
    """Runs scenarios one after the other and measures each (after its own warm-up)."""

    def __init__(
        self,
        wrk: str,
        target: Target,
        meter: observe.CpuMeter,
        *,
        duration: float,
        warmup: float,
        seed_votes: int,
    ) -> None:
        self.wrk = wrk
        self.target = target
        self.duration = duration
        self.warmup = warmup
        self.meter = meter
        self.threads = max(1, min(2, os.cpu_count() or 1))
        #: Next sequence number for vote/create runs: seed votes used 0 .. seed_votes-1.
        self.sequence = {"vote": seed_votes, "create": 0}

    def _url(self, via: str) -> str:
        if via == "gateway":
            return self.target.gateway_url
        if via == "gateway-direct-fa":
            assert self.target.gateway_direct_fa_url is not None
            return self.target.gateway_direct_fa_url
        return self.target.service_urls[via]

    def _wrk(self, scenario: Scenario, duration: float) -> loadgen.WrkResult:
        args: dict[str, str | int] = {"mode": scenario.mode, **scenario.files}
        threads = min(self.threads, scenario.connections)
        if scenario.sequenced:
            args["base"] = self.sequence[scenario.mode]
        result = loadgen.run_wrk(
            self.wrk,
            self._url(scenario.via),
            duration=duration,
            connections=scenario.connections,
            threads=threads,
            lua_args=args,
        )
        if scenario.sequenced:  # each thread walks its own stride; leave room for the longest
            self.sequence[scenario.mode] += threads * result.requests + 1000
        return result

    def mixed(
        self, files: dict[str, str], connections: int, progress: Callable[[str], None]
    ) -> dict[str, Any]:
        """The ``mixed`` scenario (see ``mixed.py``); its creates continue the create sequence."""
        measured, self.sequence["create"] = mixed.run_mixed(
            self.wrk,
            self.target,
            files,
            meter=self.meter,
            connections=connections,
            duration=self.duration,
            warmup=self.warmup,
            create_base=self.sequence["create"],
            progress=progress,
        )
        return measured

    def run(self, scenario: Scenario) -> dict[str, Any]:
        if self.warmup > 0:
            self._wrk(scenario, self.warmup)
        before_hist = observe.histograms(self.target.service_urls, scenario.observed)
        tcp_before = observe.tcp_connections(self.target.tcp_ports)
        cpu_before = self.meter.snapshot()
        wall = time.perf_counter()
        result = self._wrk(scenario, self.duration)
        wall = time.perf_counter() - wall
        cpu = observe.CpuMeter.cores(cpu_before, self.meter.snapshot(), wall)
        tcp_after = observe.tcp_connections(self.target.tcp_ports)
        new_connections = {name: len(tcp_after[name] - tcp_before[name]) for name in tcp_after}
        service_side = observe.service_side(self.target.service_urls, before_hist)
        efficiency = observe.efficiency(cpu, result.rps) if self.target.managed else {}
        return {
            "scenario": scenario.key,
            "title": scenario.title,
            "via": scenario.via,
            "connections": scenario.connections,
            "threads": min(self.threads, scenario.connections),
            **result.to_json(),
            "service_side": service_side,
            "cpu_cores": cpu,
            "new_connections": new_connections,
            **efficiency,
        }

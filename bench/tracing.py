"""The ``tracing`` scenario: what tracing costs, on and off in the same run.

The signed-in feed and post create through the gateway, measured twice on the same seeded databases:
with tracing on (the services and Traefik restarted with ``OTEL_EXPORTER_OTLP_ENDPOINT`` pointing at an
OTLP/HTTP receiver of the bench, ``parentbased_traceidratio`` at 0.1: the gateway keeps one trace in
ten and the services follow its decision), then off (restarted as the bench first started them). Both
measurements follow a restart, so neither runs on processes the other warmed. The receiver
(``common_testing.otlp_receiver``) runs in the bench's process and only counts what it decodes; its threads'
CPU is reported beside the runs, since on a small machine it competes with the stack as a collector
on another host would not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bench.runner import Runner, Scenario
from bench.seed import wait_for_drain
from bench.stackctl import ManagedStack
from common_testing.otlp_receiver import OtlpReceiver

__all__ = ["SAMPLE_RATE", "comparison", "run_tracing"]

#: The ratio compose and Kubernetes run with (OTEL_TRACES_SAMPLER_ARG), the one the issue names.
SAMPLE_RATE = "0.1"
SAMPLER = "parentbased_traceidratio"


def comparison(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per request: req/s and p99 off and on, and what tracing cost (% of throughput, % of p99)."""
    rows = []
    for title in dict.fromkeys(r["title"] for r in runs):
        by_state = {r["tracing"]: r for r in runs if r["title"] == title}
        off, on = by_state.get("off"), by_state.get("on")
        if off is None or on is None:
            continue
        cost = (off["rps"] - on["rps"]) / off["rps"] * 100 if off["rps"] else None
        p99 = (on["p99_ms"] - off["p99_ms"]) / off["p99_ms"] * 100 if off["p99_ms"] else None
        rows.append(
            {
                "title": title,
                "off_rps": off["rps"],
                "on_rps": on["rps"],
                "off_p99_ms": off["p99_ms"],
                "on_p99_ms": on["p99_ms"],
                "throughput_cost_pct": None if cost is None else round(cost, 1),
                "p99_change_pct": None if p99 is None else round(p99, 1),
            }
        )
    return rows


def run_tracing(
    runner: Runner, stack: ManagedStack, planned: list[Scenario], progress: Callable[[str], None]
) -> dict[str, Any]:
    """Each of ``planned`` with tracing on, then off; the stack is left as the bench started it."""
    runs: list[dict[str, Any]] = []
    restarts: dict[str, float] = {}
    with OtlpReceiver(keep_spans=False) as receiver:
        states: tuple[tuple[str, dict[str, str]], ...] = (
            (
                "on",
                {
                    "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                    "OTEL_TRACES_SAMPLER": SAMPLER,
                    "OTEL_TRACES_SAMPLER_ARG": SAMPLE_RATE,
                },
            ),
            ("off", {}),
        )
        for state, env in states:
            asyncio.run(wait_for_drain(runner.target, within=300))
            restarts[state] = round(stack.restart(env), 1)
            runner.meter.roots = stack.pids()
            progress(f"  tracing {state}: services and gateway restarted in {restarts[state]:.1f}s")
            for scenario in planned:
                cpu_before, wall = receiver.counts()["cpu_s"], time.perf_counter()
                run = runner.run(scenario)
                cpu = receiver.counts()["cpu_s"] - cpu_before
                run["tracing"] = state
                if state == "on":  # its warm-up included, as in the wall time it is divided by
                    run["receiver_cores"] = round(cpu / (time.perf_counter() - wall), 3)
                runs.append(run)
                rate = f"{run['rps']:>8.1f} req/s  p99 {run['p99_ms']:.2f} ms"
                progress(f"  tracing {state:<3} {run['title']:<28} {rate}")
                if scenario.sequenced:
                    lag, _ = asyncio.run(wait_for_drain(runner.target, within=300))
                    run["drain_after_s"] = round(lag, 2)
        # The restart to "off" stopped every traced process, and each exports what it buffered at exit.
        received = receiver.counts()
    return {
        "sampler": SAMPLER,
        "sample_rate": float(SAMPLE_RATE),
        "restart_s": restarts,
        "runs": runs,
        "received": received,
        "comparison": comparison(runs),
    }

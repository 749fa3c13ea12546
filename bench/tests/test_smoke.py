"""``make test`` runs the bench in smoke mode: the whole path, tiny seed, one-second runs.

It checks that the bench still works end to end against the current services (stack start, seeding
through the API, every wrk scenario, both event-pipeline measurements, both result files), never how
fast anything is: timings on a shared two-core machine would make a flaky test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Every (scenario, via) the report must hold.
EXPECTED = {
    ("feed", "gateway"),
    ("feed", "posts"),
    ("feed-auth", "gateway"),
    ("feed-auth", "posts"),
    ("feed", "gateway-direct-fa"),
    ("feed-auth", "gateway-direct-fa"),
    ("feed-miss", "gateway"),
    ("feed-miss", "posts"),
    ("post-create", "gateway-direct-fa"),
    ("post-get", "gateway"),
    ("post-get", "posts"),
    ("forward-auth", "auth"),
    ("forward-auth-1c", "auth"),
    ("login", "gateway"),
    ("login", "auth"),
    ("post-create", "gateway"),
    ("post-create", "posts"),
    ("vote", "gateway"),
    ("vote", "votes"),
}


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_smoke_run_writes_every_scenario(tmp_path: Path) -> None:
    if shutil.which("wrk") is None and os.geteuid() != 0:
        pytest.skip("wrk is not installed and only root can apt-get install it: sudo apt-get install -y wrk")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output, _ = proc.communicate(timeout=360)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # the bench stops the stack it started on SIGTERM
        output, _ = proc.communicate(timeout=30)
        pytest.fail(f"bench --smoke did not finish in 360 s:\n{output[-6000:]}")
    assert proc.returncode == 0, output[-6000:]

    markdown = list(tmp_path.glob("*.md"))
    documents = list(tmp_path.glob("*.json"))
    assert len(markdown) == 1, output[-3000:]
    assert len(documents) == 1, output[-3000:]
    results = json.loads(documents[0].read_text())

    env = results["environment"]
    for field in ("nproc", "cpu_model", "python", "workers_per_service", "commit", "date"):
        assert env.get(field), f"environment lacks {field}"

    runs = {(run["scenario"], run["via"]): run for run in results["http"]}
    assert set(runs) == EXPECTED
    for key, run in runs.items():
        assert run["requests"] > 0, f"{key} sent no request"
        assert run["rps"] > 0, f"{key} has no throughput"
        assert run["p99_ms"] >= run["p50_ms"] > 0, f"{key} has no latency"
        # Not a timing: a changed route would otherwise be "measured" as a stream of 404s.
        ok = sum(n for status, n in run["statuses"].items() if 200 <= int(status) < 300)
        assert ok >= 0.9 * run["requests"], f"{key}: mostly not 2xx: {run['statuses']}"

    _assert_mixed(results["mixed"], output)
    _assert_tracing(results["tracing"], output)

    assert results["pipeline_real"]["consumed"] > 0
    for phase in ("burst", "paced"):
        stats = results["pipeline_inprocess"][phase]
        assert stats["events"] > 0, f"in-process {phase} consumed nothing"
        assert stats["events_per_s"] > 0

    text = markdown[0].read_text()
    for scenario, via in EXPECTED:
        assert f"| {scenario} | {via} |" in text
    assert "## Event pipeline" in text
    assert "## Mixed load through the gateway (`mixed`)" in text
    assert "## The gateway's cost per request" in text
    assert "## Tracing's cost (`tracing`)" in text
    assert any(t["target"].startswith("tracing at 10% sampling") for t in results["targets"])
    for key, run in runs.items():
        assert set(run["new_connections"]) >= {"auth", "posts", "gateway-internal"}, key


def _assert_mixed(mixed: dict[str, Any], output: str) -> None:
    """Every class ran at once and was answered; the vote counts agree once the events drained."""
    classes = {run["class"]: run for run in mixed["classes"]}
    assert set(classes) == {"feed", "vote", "create", "post-get"}, output[-3000:]
    for key, run in classes.items():
        assert run["requests"] > 0, f"mixed {key} sent no request"
        ok = sum(n for status, n in run["statuses"].items() if 200 <= int(status) < 300)
        assert ok >= 0.9 * run["requests"], f"mixed {key}: mostly not 2xx: {run['statuses']}"
    assert isinstance(classes["feed"]["followed"], int)
    total = mixed["total"]
    assert total["requests"] == sum(run["requests"] for run in classes.values())
    assert total["p99_ms"] >= total["p50_ms"] > 0
    assert "feed_cache" in mixed  # None when posts does not export the counter
    # Not a timing: once every event is consumed, posts shows exactly the votes that votes holds.
    assert mixed["drained"], output[-3000:]
    drift = mixed["vote_drift"]
    assert drift["sum_difference"] == 0, drift
    assert drift["posts_differing"] == 0, drift


def _assert_tracing(tracing: dict[str, Any], output: str) -> None:
    """Feed and create ran with tracing on and off, were answered, and the on runs really traced."""
    runs = {(run["title"], run["tracing"]) for run in tracing["runs"]}
    titles = {"feed read, bearer token", "post create, bearer token"}
    assert runs == {(title, state) for title in titles for state in ("on", "off")}, output[-3000:]
    for run in tracing["runs"]:
        ok = sum(n for status, n in run["statuses"].items() if 200 <= int(status) < 300)
        assert run["requests"] > 0, run["title"]
        assert ok >= 0.9 * run["requests"], f"tracing {run['tracing']} {run['title']}: {run['statuses']}"
    assert {row["title"] for row in tracing["comparison"]} == titles
    # Not a timing: one trace in ten of some hundreds of requests reached the receiver, from the
    # gateway (which samples) and from posts (which follows its decision).
    spans = tracing["received"]["spans"]
    assert spans.get("gateway", 0) > 0, tracing["received"]
    assert spans.get("posts", 0) > 0, tracing["received"]

"""What the report computes from the runs: merged latency, the scale ratios, the issue's targets.

Pure functions on made-up runs (no stack): what a reader of the report sees must follow from the runs.
"""

from __future__ import annotations

from typing import Any

from bench import report, tracing
from bench.loadgen import WrkResult, merged_quantile
from bench.scale import ratio_rows


def _wrk(requests: int, low_ms: float, high_ms: float) -> WrkResult:
    """A run whose latencies spread evenly from ``low_ms`` to ``high_ms``."""
    points = [(float(p), low_ms + (high_ms - low_ms) * p / 100) for p in range(101)]
    return WrkResult(requests, 1.0, float(requests), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, quantiles=points)


def test_merged_latency_weighs_each_process_by_its_requests() -> None:
    fast, slow = _wrk(900, 0, 10), _wrk(100, 100, 200)

    # 90% of all requests are the fast ones: the median is inside them, the p99 inside the slow ones.
    assert merged_quantile(0.5, [fast, slow]) == 5.56  # 50% / 90% of the way through 0-10 ms
    assert merged_quantile(0.99, [fast, slow]) == 190.0  # the slow run's own p90
    assert merged_quantile(0.5, [fast]) == 5.0
    assert merged_quantile(0.5, [_wrk(0, 0, 10)]) is None


def _scale_run(key: str, posts: int, p99: float, requests: int = 100) -> dict[str, Any]:
    return {"scenario": key, "title": key, "posts": posts, "p99_ms": p99, "rps": 10.0, "requests": requests}


def test_scale_ratio_is_large_over_small_and_missing_when_a_run_answered_nothing() -> None:
    runs = [
        _scale_run("search", 10_000, 20.0),
        _scale_run("page-500", 10_000, 40.0),
        _scale_run("search", 1_000_000, 50.0),
        _scale_run("page-500", 1_000_000, 0.0, requests=0),
    ]

    rows = {row["scenario"]: row for row in ratio_rows(runs, 10_000, 1_000_000)}

    assert rows["search"]["p99_ratio"] == 2.5
    assert rows["page-500"]["p99_ratio"] is None


def _class(key: str, rps: float, p99: float) -> dict[str, Any]:
    return {"class": key, "rps": rps, "p99_ms": p99}


def test_mixed_and_write_targets_say_met_or_not_with_their_numbers() -> None:
    results = {
        "http": [
            {"scenario": "post-create", "via": "gateway", "rps": 400.0, "p99_ms": 90.0},
            {"scenario": "vote", "via": "gateway", "rps": 600.0, "p99_ms": 60.0},
            {"scenario": "feed-miss", "via": "gateway", "rps": 510.0, "p99_ms": 70.0},
        ],
        "mixed": {
            "total": {"rps": 900.0},
            "classes": [
                _class("feed", 650, 100),
                _class("vote", 120, 160),
                _class("create", 60, 120),
                _class("post-get", 70, 40),
            ],
            "drained": True,
            "vote_drift": {"sum_difference": 0, "posts_differing": 0},
        },
    }

    met = {item["target"]: item["met"] for item in report.targets(results)}
    measured = {item["target"]: item["measured"] for item in report.targets(results)}

    assert met["post create through the gateway >= 530 req/s"] is False
    assert met["post create through the gateway >= 352 req/s (the floor)"] is True
    assert met["vote through the gateway >= 530 req/s"] is True
    assert met["uncached signed-in feed page (feed-miss) through the gateway >= 500 req/s"] is True
    assert met["mixed: >= 800 req/s in total"] is True
    assert met["mixed: every class p99 < 150 ms"] is False
    assert "vote 160 ms" in measured["mixed: every class p99 < 150 ms"]
    assert met["mixed: signed-in feed >= 600 req/s within the mix"] is True
    assert met["mixed: vote counts' drift 0 once drained (posts' vote_count = votes' tallies)"] is True


def test_a_vote_drift_or_an_undrained_run_is_not_met() -> None:
    mixed: dict[str, Any] = {
        "total": {"rps": 1.0},
        "classes": [_class("feed", 1, 1)],
        "drained": True,
        "vote_drift": {"sum_difference": 0, "posts_differing": 2},
    }
    drift = "mixed: vote counts' drift 0 once drained (posts' vote_count = votes' tallies)"

    differing = {item["target"]: item["met"] for item in report.targets({"mixed": mixed})}
    undrained = report.targets(
        {"mixed": mixed | {"drained": False, "vote_drift": {"sum_difference": 0, "posts_differing": 0}}}
    )

    assert differing[drift] is False
    assert next(item for item in undrained if item["target"] == drift)["met"] is False


def _traced(title: str, state: str, rps: float, p99: float) -> dict[str, Any]:
    return {"title": title, "tracing": state, "rps": rps, "p99_ms": p99}


def test_tracing_cost_is_the_throughput_lost_with_tracing_on_against_the_five_percent_target() -> None:
    runs = [
        _traced("feed read, bearer token", "on", 970.0, 44.0),
        _traced("post create, bearer token", "on", 90.0, 600.0),
        _traced("feed read, bearer token", "off", 1000.0, 40.0),
        _traced("post create, bearer token", "off", 100.0, 500.0),
    ]
    rows = {row["title"]: row for row in tracing.comparison(runs)}

    assert rows["feed read, bearer token"]["throughput_cost_pct"] == 3.0
    assert rows["feed read, bearer token"]["p99_change_pct"] == 10.0
    assert rows["post create, bearer token"]["throughput_cost_pct"] == 10.0
    assert rows["post create, bearer token"]["p99_change_pct"] == 20.0

    results = {"tracing": {"sample_rate": 0.1, "comparison": list(rows.values())}}
    met = {t["target"]: (t["measured"], t["met"]) for t in report.targets(results)}
    assert met["tracing at 10% sampling costs <= 5% throughput (feed read, bearer token)"] == (
        "1000 -> 970 req/s (+3.0%), p99 40 -> 44 ms",
        True,
    )
    assert met["tracing at 10% sampling costs <= 5% throughput (post create, bearer token)"][1] is False

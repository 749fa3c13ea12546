"""The bench's report: one Markdown page and one JSON document with the same numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["markdown", "pipeline_line", "progress_line", "targets", "write"]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _service_side(run: dict[str, Any]) -> str:
    parts = []
    for name, stats in run.get("service_side", {}).items():
        if not stats.get("count"):
            continue
        label = (
            "forwardAuth"
            if name.endswith("/internal/forward-auth") and run["via"] == "gateway"
            else name.split()[0]
        )
        parts.append(f"{label} {_ms(stats['p50_ms'])}/{_ms(stats['p99_ms'])}")
    return "; ".join(parts) or "-"


def _cpu(run: dict[str, Any], top: int = 4) -> str:
    cpu = dict(run.get("cpu_cores", {}))
    machine = cpu.pop("machine", None)
    other = cpu.pop("other", 0.0)
    text = ", ".join(f"{name} {cores:.2f}" for name, cores in list(cpu.items())[:top]) or "-"
    if machine is not None:
        text += f"; all {machine:.2f}" + (f" (**other {other:.2f}**)" if other >= 0.1 else "")
    return text


def _ceiling(run: dict[str, Any]) -> str:
    ceiling = run.get("ceiling_rps")
    return "-" if ceiling is None else f"{ceiling:.0f}"


def _errors(run: dict[str, Any]) -> str:
    if not run["errors"]:
        return "0"
    bad = {code: n for code, n in run["statuses"].items() if int(code) >= 400}
    detail = ", ".join(f"{code}: {n}" for code, n in bad.items())
    if run["socket_errors"]:
        detail += (", " if detail else "") + f"socket: {run['socket_errors']}"
    return f"{run['errors']} ({detail})"


def progress_line(run: dict[str, Any]) -> str:
    return (
        f"  {run['scenario']:<16} via {run['via']:<8} c={run['connections']:<3} {run['rps']:>8.1f} req/s"
        f"  p50 {run['p50_ms']:.2f}  p99 {run['p99_ms']:.2f} ms  errors {run['errors']}"
    )


def pipeline_line(name: str, stats: dict[str, Any]) -> str:
    return (
        f"  pipeline {name}: {stats['consumed']}/{stats['events']} events, {stats['events_per_s']}/s,"
        f" p50 {stats['p50_ms']} ms, p99 {stats['p99_ms']} ms"
    )


def _find(results: dict[str, Any], scenario: str, via: str) -> dict[str, Any] | None:
    return next((r for r in results.get("http", []) if r["scenario"] == scenario and r["via"] == via), None)


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issues' targets, each with the measured value and whether it is met (informational)."""
    out: list[dict[str, Any]] = []

    def add(name: str, value: str, met: bool | None) -> None:
        out.append({"target": name, "measured": value, "met": met})

    feed = _find(results, "feed", "gateway")
    if feed:
        add(
            "feed through the gateway >= 930 req/s, p99 < 100 ms (32 connections)",
            f"{feed['rps']:.0f} req/s, p99 {feed['p99_ms']:.1f} ms (c={feed['connections']})"
            + (f"; ceiling {feed['ceiling_rps']:.0f} req/s" if feed.get("ceiling_rps") else ""),
            feed["rps"] >= 930 and feed["p99_ms"] < 100,
        )
    for via in ("gateway", "auth"):
        login = _find(results, "login", via)
        if login:
            ceiling = f"; ceiling {login['ceiling_rps']:.0f}/s" if login.get("ceiling_rps") else ""
            add(f"logins >= 40/s ({via})", f"{login['rps']:.1f}/s{ceiling}", login["rps"] >= 40)
    fa = _find(results, "forward-auth", "auth")
    fa1 = _find(results, "forward-auth-1c", "auth")
    for run in (fa1, fa):
        if run is None:
            continue
        inside = run["service_side"].get("auth GET /internal/forward-auth", {})
        p50 = inside.get("p50_ms")
        add(
            f"forwardAuth p50 < 1 ms inside the service (c={run['connections']})",
            f"service p50 {_ms(p50)} ms (wrk p50 {run['p50_ms']:.2f} ms, {run['rps']:.0f} req/s)",
            None if p50 is None else p50 < 1.0,
        )
    for key, label in (("feed", "anonymous"), ("feed-auth", "bearer token")):
        gw, direct = _find(results, key, "gateway"), _find(results, key, "posts")
        if gw and direct and direct["rps"]:
            ratio = gw["rps"] / direct["rps"]
            add(
                f"gateway + forwardAuth >= half of direct (feed, {label})",
                f"{gw['rps']:.0f} / {direct['rps']:.0f} = {ratio:.2f}",
                ratio >= 0.5,
            )
    before, after = _find(results, "feed-auth", "gateway-direct-fa"), _find(results, "feed-auth", "gateway")
    if before and after and before["requests"] and after["requests"]:
        churn_before = before["new_connections"].get("auth", 0) / before["requests"]
        churn_after = after["new_connections"].get("auth", 0) / after["requests"]
        cut = churn_before / churn_after if churn_after else float("inf")
        add(
            "new TCP connections to auth per request cut >= 10x (feed, bearer token)",
            f"{churn_before:.3f} -> {churn_after:.4f} "
            + ("(no new connection)" if not churn_after else f"({cut:.0f}x)"),
            cut >= 10,
        )
    _write_targets(results, add)
    _mixed_targets(results.get("mixed"), add)
    _tracing_targets(results.get("tracing"), add)
    _scale_targets(results.get("scale"), add)
    inproc = results.get("pipeline_inprocess", {})
    if "burst" in inproc:
        add(
            "events >= 2,000/s sustained (in-process burst)",
            f"{inproc['burst']['events_per_s']:.0f}/s",
            inproc["burst"]["events_per_s"] >= 2000,
        )
    if "paced" in inproc:
        paced = inproc["paced"]
        add(
            f"event p99 < 250 ms (in-process, {paced['offered_per_s']:.0f}/s offered)",
            f"p50 {paced['p50_ms']} ms, p99 {paced['p99_ms']} ms",
            paced["p99_ms"] < 250,
        )
    return out


Add = Callable[[str, str, bool | None], None]


def _write_targets(results: dict[str, Any], add: Add) -> None:
    """Post create and vote through the gateway (1.5x the reference template's create; its 352 the floor);
    the uncached signed-in feed page."""
    for key, label in (("post-create", "post create"), ("vote", "vote")):
        run = _find(results, key, "gateway")
        if run:
            measured = f"{run['rps']:.0f} req/s, p99 {run['p99_ms']:.0f} ms"
            add(f"{label} through the gateway >= 530 req/s", measured, run["rps"] >= 530)
            add(f"{label} through the gateway >= 352 req/s (the floor)", measured, run["rps"] >= 352)
    miss = _find(results, "feed-miss", "gateway")
    if miss:
        add(
            "uncached signed-in feed page (feed-miss) through the gateway >= 500 req/s",
            f"{miss['rps']:.0f} req/s, p99 {miss['p99_ms']:.0f} ms",
            miss["rps"] >= 500,
        )


def _mixed_targets(mixed: dict[str, Any] | None, add: Add) -> None:
    if not mixed:
        return
    total, classes = mixed["total"], mixed["classes"]
    add("mixed: >= 800 req/s in total", f"{total['rps']:.0f} req/s", total["rps"] >= 800)
    add(
        "mixed: every class p99 < 150 ms",
        ", ".join(f"{c['class']} {c['p99_ms']:.0f} ms" for c in classes),
        all(c["p99_ms"] < 150 for c in classes),
    )
    feed = next(c for c in classes if c["class"] == "feed")
    add("mixed: signed-in feed >= 600 req/s within the mix", f"{feed['rps']:.0f} req/s", feed["rps"] >= 600)
    drift = mixed["vote_drift"]
    add(
        "mixed: vote counts' drift 0 once drained (posts' vote_count = votes' tallies)",
        f"sum {drift['sum_difference']:+d}, {drift['posts_differing']} posts differ"
        + ("" if mixed["drained"] else " (NOT drained after 300 s)"),
        mixed["drained"] and drift["sum_difference"] == 0 and drift["posts_differing"] == 0,
    )


#: Issue 17: tracing at 10% sampling costs at most this much throughput.
TRACING_MAX_COST_PCT = 5.0


def _tracing_targets(tracing: dict[str, Any] | None, add: Add) -> None:
    if not tracing:
        return
    rate = f"{tracing['sample_rate']:.0%}"
    for row in tracing["comparison"]:
        cost = row["throughput_cost_pct"]
        add(
            f"tracing at {rate} sampling costs <= {TRACING_MAX_COST_PCT:g}% throughput ({row['title']})",
            f"{row['off_rps']:.0f} -> {row['on_rps']:.0f} req/s"
            + ("" if cost is None else f" ({cost:+.1f}%)")
            + f", p99 {row['off_p99_ms']:.0f} -> {row['on_p99_ms']:.0f} ms",
            None if cost is None else cost <= TRACING_MAX_COST_PCT,
        )


def _tracing_section(tracing: dict[str, Any] | None) -> list[str]:
    if not tracing:
        return []
    received = tracing["received"]
    spans = ", ".join(f"{name} {n}" for name, n in sorted(received["spans"].items())) or "none"
    traces = received["traces"].get("gateway", 0)
    lines = [
        "",
        "## Tracing's cost (`tracing`)",
        "",
        f"The signed-in feed and post create through the gateway, with tracing on (`{tracing['sampler']}`"
        f" at {tracing['sample_rate']:g}, Traefik and the services exporting OTLP/HTTP to a receiver in the"
        " bench's process) and then off, each after a restart of the services and the gateway"
        f" ({tracing['restart_s'].get('on', '-')} s and {tracing['restart_s'].get('off', '-')} s)."
        " *cost*: the throughput lost with tracing on, in % of off; *p99 change*: in % of off.",
        "",
        *_header("request", "off req/s", "on req/s", "cost", "off p99", "on p99", "p99 change", right=6),
    ]
    for row in tracing["comparison"]:
        cost, p99 = row["throughput_cost_pct"], row["p99_change_pct"]
        lines.append(
            _row(
                row["title"],
                f"{row['off_rps']:.1f}",
                f"{row['on_rps']:.1f}",
                "-" if cost is None else f"{cost:+.1f}%",
                f"{row['off_p99_ms']:.2f}",
                f"{row['on_p99_ms']:.2f}",
                "-" if p99 is None else f"{p99:+.1f}%",
            )
        )
    columns = ("run", "tracing", "req/s", "p50", "p99", "errors", "CPU (cores)", "receiver cores")
    lines += ["", *_header(*columns, numeric=(2, 3, 4, 7))]
    for run in tracing["runs"]:
        lines.append(
            _row(
                run["title"],
                run["tracing"],
                f"{run['rps']:.1f}",
                f"{run['p50_ms']:.2f}",
                f"{run['p99_ms']:.2f}",
                _errors(run),
                _cpu(run),
                run.get("receiver_cores", "-"),
            )
        )
    lines += [
        "",
        f"- received: {received['requests']} export requests; spans by service: {spans};"
        f" {traces} traces started at the gateway",
        f"- *receiver cores*: the CPU the receiver's threads used during the run (reading and decoding"
        f" what was sent; {received['cpu_s']} s in all), taken from the cores the stack runs on, as a"
        " collector on another host would not",
    ]
    return lines


def _scale_targets(scale: dict[str, Any] | None, add: Add) -> None:
    if not scale:
        return
    small, large = scale["sizes"]["small"], scale["sizes"]["large"]
    for row in scale["rows"]:
        if row["scenario"] not in ("feed", "feed-miss", "search", f"page-{scale['deep_page']}"):
            continue
        ratio = row["p99_ratio"]
        add(
            f"scale: {row['scenario']} p99 at {large:,} posts within 1.5x of {small:,}",
            f"{row['p99_ms']['small']:.1f} -> {row['p99_ms']['large']:.1f} ms"
            + ("" if ratio is None else f" ({ratio:.2f}x)"),
            None if ratio is None else ratio <= 1.5,
        )


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _header(*names: str, right: int = 0, numeric: tuple[int, ...] = ()) -> list[str]:
    """A table header; the last ``right`` columns and those in ``numeric`` are right-aligned."""
    align = ["---:" if i >= len(names) - right or i in numeric else "---" for i in range(len(names))]
    return [_row(*names), _row(*align)]


def _pipeline_row(label: str, stats: dict[str, Any], note: str, events: object) -> str:
    numbers = (stats["events_per_s"], stats["p50_ms"], stats["p95_ms"], stats["p99_ms"], stats["max_ms"])
    return _row(label, events, *numbers, note)


def _per_request(run: dict[str, Any], cores: float | None) -> str:
    return "-" if cores is None or not run["rps"] else f"{cores / run['rps'] * 1000:.3f}"


def _gateway_cost(results: dict[str, Any]) -> list[str]:
    """Traefik's and auth's CPU and the new TCP connections per request, for each way in."""
    runs = [r for r in results.get("http", []) if r["scenario"] in ("feed", "feed-auth", "post-create")]
    if not any("new_connections" in r for r in runs):
        return []
    lines = [
        "",
        "## The gateway's cost per request",
        "",
        "*Traefik*/*auth CPU ms/req*: CPU of that process group over the run, per request. *new conns/req*:"
        " TCP connections opened during the run (from /proc/net/tcp, TIME_WAIT included) to auth, and to"
        " Traefik's own loopback entry point (`internal`, the forwardAuth and flood-limit hops), per"
        " request. `gateway-direct-fa` is the same table with forwardAuth straight to auth and Go's default"
        " 2 idle connections per upstream host, as before pooling.",
        "",
        *_header(
            "scenario",
            "via",
            "req/s",
            "p99",
            "Traefik CPU ms/req",
            "auth CPU ms/req",
            "new conns/req to auth",
            "new conns/req to Traefik's hops",
            right=6,
        ),
    ]
    for run in runs:
        cpu = run.get("cpu_cores", {})
        gateway = cpu.get(run["via"]) if run["via"].startswith("gateway") else None
        conns = run.get("new_connections", {})
        hops = conns.get("gateway-internal" if run["via"] == "gateway" else "gateway-direct-fa-internal", 0)
        requests = run["requests"] or 1
        lines.append(
            _row(
                run["scenario"],
                run["via"],
                f"{run['rps']:.1f}",
                f"{run['p99_ms']:.2f}",
                _per_request(run, gateway),
                _per_request(run, cpu.get("auth")),
                f"{conns.get('auth', 0) / requests:.4f}",
                f"{hops / requests:.4f}" if run["via"].startswith("gateway") else "-",
            )
        )
    return lines


def _mixed_section(mixed: dict[str, Any] | None) -> list[str]:
    if not mixed:
        return []
    total = mixed["total"]
    lines = [
        "",
        "## Mixed load through the gateway (`mixed`)",
        "",
        f"Every class at once for {mixed['duration_s']:g} s (after a {mixed['warmup_s']:g} s warm-up),"
        " one wrk process each. The total's p50/p99 merge the classes' latency distributions"
        " (weighted by requests).",
        "",
        *_header(
            "class",
            "conns",
            "req/s",
            "p50",
            "p99",
            "errors",
            "requests",
            "service p50/p99",
            numeric=(1, 2, 3, 4, 6),
        ),
    ]
    for run in mixed["classes"]:
        lines.append(
            _row(
                run["title"],
                run["connections"],
                f"{run['rps']:.1f}",
                f"{run['p50_ms']:.2f}",
                f"{run['p99_ms']:.2f}",
                _errors(run),
                run["requests"],
                _service_side(run | {"via": "gateway"}),
            )
        )
    lines.append(
        _row(
            "**total**",
            total["connections"],
            f"{total['rps']:.1f}",
            _ms(total["p50_ms"]),
            _ms(total["p99_ms"]),
            total["errors"],
            total["requests"],
            "-",
        )
    )
    feed = next(c for c in mixed["classes"] if c["class"] == "feed")
    cache = mixed.get("feed_cache")
    if cache is None:
        cache_text = "n/a (posts exports no `posts_feed_cache_total`)"
    else:
        ratio = cache["hit_ratio"]
        counts = ", ".join(f"{name} {n}" for name, n in sorted(cache["counts"].items()))
        cache_text = f"{'n/a' if ratio is None else f'{ratio:.1%}'} of feed reads ({counts})"
    drift = mixed["vote_drift"]
    drained = (
        f"drained {mixed['drain_after_s']} s after the run"
        if mixed["drained"]
        else "**NOT drained after 300 s**"
    )
    lines += [
        "",
        f"- feed readers: {feed['followed']} of their {feed['requests']} reads were page 2"
        " (the next_cursor of a page 1 they read)",
        f"- feed cache hits (`posts_feed_cache_total`): {cache_text}",
        f"- stack CPU per request: {total.get('stack_cpu_ms_per_request', '-')} ms"
        f" (ceiling {total.get('ceiling_rps', '-')} req/s); CPU (cores): {_cpu(mixed, top=6)}",
        f"- vote counts once the events {drained}: posts' sum {drift['posts_vote_count_sum']}, votes'"
        f" tallies {drift['tallies_sum']} ({drift['votes_rows']} vote rows); difference"
        f" {drift['sum_difference']:+d} in sum, {drift['posts_differing']} posts differ",
    ]
    return lines


def _scale_section(scale: dict[str, Any] | None) -> list[str]:
    if not scale:
        return []
    small, large = scale["sizes"]["small"], scale["sizes"]["large"]
    lines = ["", f"## Scale: the same reads at {small:,} and {large:,} posts (`SCALE=1`)", ""]
    for step in scale["growth"]:
        if step.get("added"):
            lines.append(
                f"- bulk-seeded {step['added']:,} posts to {step['total']:,} in {step['seconds']} s"
                f" (inserts {step['insert_s']} s: posts {step['posts_db_s']} s and votes"
                f" {step['votes_db_s']} s side by side; VACUUM ANALYZE {step['vacuum_analyze_s']} s;"
                f" {step['posts_per_s']:,} posts/s)"
            )
    if scale.get("seed_1m_estimate_s") and large < 1_000_000:
        lines.append(
            f"- seeding 1,000,000 posts would take about {scale['seed_1m_estimate_s']:.0f} s at that rate"
        )
    lines += [
        f"- signed-in reads (rotating tokens) through the gateway; search for `{scale['search_word']}`",
        "",
        *_header(
            "read",
            "posts",
            "req/s",
            "p50",
            "p99",
            "errors",
            "service p50/p99",
            "stack CPU ms/req",
            right=0,
            numeric=(1, 2, 3, 4, 7),
        ),
    ]
    for run in scale["runs"]:
        lines.append(
            _row(
                run["title"],
                f"{run['posts']:,}",
                f"{run['rps']:.1f}",
                f"{run['p50_ms']:.2f}",
                f"{run['p99_ms']:.2f}",
                _errors(run),
                _service_side(run),
                run.get("stack_cpu_ms_per_request", "-"),
            )
        )
    lines += ["", *_header("read", f"p99 at {small:,}", f"p99 at {large:,}", "ratio", "req/s", right=4)]
    for row in scale["rows"]:
        ratio = "-" if row["p99_ratio"] is None else f"{row['p99_ratio']:.2f}"
        rps = f"{row['rps']['small']:.0f} -> {row['rps']['large']:.0f}"
        lines.append(
            _row(row["title"], f"{row['p99_ms']['small']:.2f}", f"{row['p99_ms']['large']:.2f}", ratio, rps)
        )
    return lines


def _http_section(results: dict[str, Any]) -> list[str]:
    """The scenario runs one by one, and the gateway against direct on the feeds."""
    lines: list[str] = []
    if not results.get("http"):
        return lines
    lines += [
        "",
        "## HTTP scenarios",
        "",
        "Latencies in ms (wrk, client side). *service p50/p99*: the service's own histogram "
        "(`http_request_duration_seconds`, bucket-interpolated). *CPU*: cores used per process group; "
        "*all*: the whole machine, *other*: load that is not the bench's (someone else's processes). "
        "*stack CPU ms/req*: CPU the services, gateway, PostgreSQL (the bench's backends), Redis and "
        "RabbitMQ used per request; *ceiling req/s*: nproc divided by it, what the stack could serve "
        "with every core to itself (an estimate for comparing runs on a shared machine, not a measurement).",
        "",
        *_header(
            "scenario",
            "via",
            "conns",
            "req/s",
            "p50",
            "p95",
            "p99",
            "errors",
            "requests",
            "service p50/p99",
            "stack CPU ms/req",
            "ceiling req/s",
            "CPU (cores)",
            numeric=(2, 3, 4, 5, 6, 8, 10, 11),
        ),
    ]
    for run in results.get("http", []):
        lines.append(
            _row(
                run["scenario"],
                run["via"],
                run["connections"],
                f"{run['rps']:.1f}",
                f"{run['p50_ms']:.2f}",
                f"{run['p95_ms']:.2f}",
                f"{run['p99_ms']:.2f}",
                _errors(run),
                run["requests"],
                _service_side(run),
                run.get("stack_cpu_ms_per_request", "-"),
                _ceiling(run),
                _cpu(run),
            )
        )
    compared = []
    for key, label in (
        ("feed", "anonymous (forwardAuth: 200, no identity)"),
        ("feed-auth", "bearer token (forwardAuth verifies it)"),
    ):
        gw, direct = _find(results, key, "gateway"), _find(results, key, "posts")
        if gw and direct:
            ratio = gw["rps"] / direct["rps"] if direct["rps"] else 0.0
            rates = (f"{direct['rps']:.1f}", f"{gw['rps']:.1f}", f"{ratio:.2f}")
            compared.append(_row(label, *rates, f"{direct['p99_ms']:.2f}", f"{gw['p99_ms']:.2f}"))
    if compared:
        lines += ["", "## Gateway comparison: `GET /api/v1/posts?limit=20` through Traefik and direct", ""]
        names = ("request", "direct req/s", "gateway req/s", "gateway / direct", "direct p99", "gateway p99")
        lines += [*_header(*names, right=5), *compared]
    return lines


def _pipeline_section(results: dict[str, Any]) -> list[str]:
    """The event pipeline: the real services' votes, and the in-process measurements."""
    lines: list[str] = []
    if not results.get("pipeline_real") and not results.get("pipeline_inprocess"):
        return lines
    lines += ["", "## Event pipeline", ""]
    lines += [
        _row("measurement", "events", "events/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "notes"),
        _row("---", *["---:"] * 6, "---"),
    ]
    real = results.get("pipeline_real")
    if real:
        note = (
            "produced at the HTTP vote rate; vote counts matched"
            f" {real.get('drain_after_load_s')} s after the last vote"
        )
        label = "real: votes.vote.cast -> posts (vote runs)"
        lines.append(_pipeline_row(label, real, note, f"{real['consumed']}/{real['events']}"))
    inproc = results.get("pipeline_inprocess", {})
    where = f"`{inproc.get('database')}`, `{inproc.get('prefix')}`"
    for phase in ("burst", "paced"):
        stats = inproc.get(phase)
        if not stats:
            continue
        if phase == "burst":
            note = f"all rows written in {stats['write_s']} s, batches of {inproc.get('batch')}"
        else:
            note = (
                f"{stats['offered_per_s']:.0f}/s offered, {stats['written_per_s']}/s written,"
                f" batches of {stats['paced_batch']}"
            )
        lines.append(_pipeline_row(f"in-process {phase} ({where})", stats, note, stats["events"]))
    stages = [
        (name, inproc[key])
        for name, key in (("relay", "relay_alone"), ("consumer", "consumer_alone"))
        if key in inproc
    ]
    if stages:
        lines += ["", "Each stage alone, in-process (which one limits the pipeline):", ""]
        lines += _header("stage", "events", "events/s", "CPU ms per event", right=3)
        for name, stats in stages:
            lines.append(
                _row(f"{name} alone", stats["events"], stats["events_per_s"], stats["cpu_ms_per_event"])
            )
    return lines


def markdown(results: dict[str, Any]) -> str:
    env = results["environment"]
    seed = results.get("seed", {})
    dirty = " (dirty)" if env["commit"].endswith("-dirty") else ""
    lines = [
        f"# Bench {env['date']} {env['commit'][:12]}{dirty} ({env['mode']})",
        "",
        f"- machine: {env['nproc']} x {env['cpu_model']}; Python {env['python']}; kernel {env['kernel']}",
        f"- load tool: {env['wrk']}; workers per service: {env['workers_per_service']}",
        f"- commit `{env['commit']}`; started {env['started_at']}; total {results.get('elapsed_s', '?')} s",
        f"- each run: {env['duration_s']:g} s after a {env['warmup_s']:g} s warm-up",
        f"- seed: {seed.get('users')} users, {seed.get('posts')} posts, {seed.get('votes')} votes;"
        f" timings {seed.get('timings_s')}; rates {seed.get('rates_per_s')}",
    ]
    lines += [f"- {note}" for note in env.get("notes", [])]
    lines += _http_section(results)
    lines += _gateway_cost(results)
    lines += _mixed_section(results.get("mixed"))
    lines += _tracing_section(results.get("tracing"))
    lines += _scale_section(results.get("scale"))
    lines += _pipeline_section(results)
    lines += ["", "## Targets (from the issues; informational, nothing fails on them)", ""]
    lines += _header("target", "measured", "met")
    for item in results.get("targets", []):
        met = "n/a" if item["met"] is None else ("yes" if item["met"] else "**no**")
        lines.append(_row(item["target"], item["measured"], met))
    return "\n".join(lines) + "\n"


def write(out_dir: Path, env: dict[str, Any], text: str, results: dict[str, Any]) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    # A scale run is a study of its own: it must not overwrite the full run of the same commit.
    stem = f"{env['date']}-{env['short_commit']}" + ("-scale" if "scale" in results else "")
    md_path, json_path = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    md_path.write_text(text)
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return md_path, json_path

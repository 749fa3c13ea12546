"""The ``mixed`` scenario: every class of client at once through the gateway, as users really load it.

One wrk process per class, each with its own connections and request mode, started together:

=================  ====  ==========================================================================
class              c     requests
=================  ====  ==========================================================================
feed               24    ``GET /api/v1/posts?limit=20`` with the seeded users' tokens in turn; one in
                         four reads page 2 instead, with the ``next_cursor`` of a page 1 it got
vote               4     ``PUT /api/v1/votes/{id}`` on a random post with a random token, then
                         ``DELETE`` of the same vote
create             2     ``POST /api/v1/posts``, rotating tokens
post-get           2     ``GET /api/v1/posts/{id}``, random seeded ids, anonymous
=================  ====  ==========================================================================

(The counts are for 32 connections; smaller runs scale them down, at least one each.) Per class and
in total: requests/s and latency (the total's from the classes' dense quantiles, merged); the feed
cache's hits, misses and bypasses from posts' ``posts_feed_cache_total`` counter (``None`` when the
service does not export it); the stack's CPU per request; and, once the events of the run have
drained, how far posts' vote counts are from votes' tallies (it must be 0 everywhere).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import loadgen, observe
from bench.seed import wait_for_drain
from bench.stackctl import Target
from common.db import asyncpg_dsn

__all__ = ["CLASSES", "MixedClass", "class_connections", "feed_cache_counts", "run_mixed", "vote_drift"]

#: The connections the class counts below add up to.
FULL_CONNECTIONS = 32
FEED_CACHE_METRIC = "posts_feed_cache_total"
FEED = ("posts", "GET", "/api/v1/posts")


@dataclass(frozen=True)
class MixedClass:
    key: str
    title: str
    #: Connections at 32 in total.
    connections: int
    mode: str
    observed: tuple[observe.Observed, ...]


CLASSES = (
    MixedClass(
        "feed",
        "signed-in feed readers (page 1; one in four follows next_cursor to page 2)",
        24,
        "get",
        (FEED,),
    ),
    MixedClass(
        "vote",
        "voters (cast, then retract, on random posts)",
        4,
        "toggle",
        (("votes", "PUT", "/api/v1/votes/{post_id}"), ("votes", "DELETE", "/api/v1/votes/{post_id}")),
    ),
    MixedClass("create", "post creators", 2, "create", (("posts", "POST", "/api/v1/posts"),)),
    MixedClass(
        "post-get",
        "single-post readers (random ids, anonymous)",
        2,
        "get",
        (("posts", "GET", "/api/v1/posts/{post_id}"),),
    ),
)


def class_connections(total: int) -> dict[str, int]:
    """Each class's connections for a run of ``total`` (the 24/4/2/2 split scaled, at least one)."""
    return {c.key: max(1, round(c.connections * total / FULL_CONNECTIONS)) for c in CLASSES}


def _lua_args(key: str, files: dict[str, str], seed: int) -> dict[str, str | int]:
    if key == "feed":
        return {"paths": files["feed_paths"], "tokens": files["tokens"], "follow": 4}
    if key == "vote":
        return {"tokens": files["tokens"], "ids": files["post_ids"], "seed": seed}
    if key == "create":
        return {"tokens": files["tokens"]}
    return {"paths": files["post_paths"], "random": 1, "seed": seed}


def feed_cache_counts(posts_url: str) -> dict[str, float] | None:
    """posts' feed cache outcomes so far by ``result`` (hit, miss, bypass); None if not exported."""
    try:
        text = httpx.get(f"{posts_url}/metrics", timeout=5).text
    except httpx.HTTPError:
        return None
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == FEED_CACHE_METRIC:
                result = sample.labels.get("result", "")
                counts[result] = counts.get(result, 0.0) + float(sample.value)
    return counts or None


def _cache_summary(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, Any] | None:
    if after is None:
        return None
    # A multi-process counter appears only once a worker has counted something.
    delta = {name: int(after[name] - (before or {}).get(name, 0.0)) for name in after}
    reads = sum(delta.values())
    cacheable = delta.get("hit", 0) + delta.get("miss", 0)
    return {
        "counts": delta,
        "hit_ratio": round(delta.get("hit", 0) / reads, 4) if reads else None,
        "hit_ratio_cacheable": round(delta.get("hit", 0) / cacheable, 4) if cacheable else None,
    }


async def vote_drift(target: Target) -> dict[str, int]:
    """posts' ``vote_count`` against votes' ``vote_tallies``, post by post, and in sum."""
    posts = await asyncpg.connect(asyncpg_dsn(target.database_url("posts")), timeout=10)
    votes = await asyncpg.connect(asyncpg_dsn(target.database_url("votes")), timeout=10)
    try:
        shown: dict[uuid.UUID, int] = {
            row["id"]: row["vote_count"]
            for row in await posts.fetch("SELECT id, vote_count FROM posts WHERE vote_count <> 0")
        }
        tallied: dict[uuid.UUID, int] = {
            row["post_id"]: row["vote_count"]
            for row in await votes.fetch("SELECT post_id, vote_count FROM vote_tallies WHERE vote_count <> 0")
        }
        rows = int(await votes.fetchval("SELECT count(*) FROM votes"))
    finally:
        await posts.close()
        await votes.close()
    differences = [abs(shown.get(pid, 0) - tallied.get(pid, 0)) for pid in shown.keys() | tallied.keys()]
    return {
        "votes_rows": rows,
        "tallies_sum": sum(tallied.values()),
        "posts_vote_count_sum": sum(shown.values()),
        "sum_difference": sum(shown.values()) - sum(tallied.values()),
        "posts_differing": sum(1 for d in differences if d),
        "abs_difference": sum(differences),
    }


class _Fleet:
    """The classes' wrk processes, started side by side."""

    def __init__(
        self,
        wrk: str,
        url: str,
        files: dict[str, str],
        connections: dict[str, int],
        create_base: int,
        seed: int,
    ) -> None:
        self.wrk = wrk
        self.url = url
        self.files = files
        self.connections = connections
        self.create_base = create_base
        self.seed = seed

    def threads(self, key: str) -> int:
        return max(1, min(2 if key == "feed" else 1, os.cpu_count() or 1, self.connections[key]))

    def run(self, duration: float) -> dict[str, loadgen.WrkResult]:
        started: dict[str, loadgen.WrkProcess] = {}
        try:
            for c in CLASSES:
                args = {"mode": c.mode, **_lua_args(c.key, self.files, self.seed)}
                if c.key == "create":
                    args["base"] = self.create_base
                started[c.key] = loadgen.start_wrk(
                    self.wrk,
                    self.url,
                    duration=duration,
                    connections=self.connections[c.key],
                    threads=self.threads(c.key),
                    lua_args=args,
                )
            results = {key: process.result() for key, process in started.items()}
        finally:
            for process in started.values():
                process.stop()
        self.seed += 1  # the next run (after a warm-up) reads other random posts
        created = results["create"]
        # Each thread walks its own stride of the create sequence; leave room for the longest.
        self.create_base += self.threads("create") * created.requests + 1000
        return results


def run_mixed(
    wrk: str,
    target: Target,
    files: dict[str, str],
    *,
    meter: observe.CpuMeter,
    connections: int,
    duration: float,
    warmup: float,
    create_base: int,
    progress: Callable[[str], None] = print,
) -> tuple[dict[str, Any], int]:
    """Run the mix (after a warm-up), wait for its events, and measure; also the next create base."""
    split = class_connections(connections)
    fleet = _Fleet(wrk, target.gateway_url, files, split, create_base, seed=int(time.time()) % 100_000)
    if warmup > 0:
        fleet.run(warmup)
    observed = tuple(route for c in CLASSES for route in c.observed)
    before_hist = observe.histograms(target.service_urls, observed)
    cache_before = feed_cache_counts(target.service_urls["posts"])
    cpu_before = meter.snapshot()
    wall = time.perf_counter()
    results = fleet.run(duration)
    wall = time.perf_counter() - wall
    cpu = observe.CpuMeter.cores(cpu_before, meter.snapshot(), wall)
    cache_after = feed_cache_counts(target.service_urls["posts"])
    side = observe.service_side(target.service_urls, before_hist)

    classes = []
    for c in CLASSES:
        run = results[c.key]
        routes = {f"{svc} {m} {r}" for svc, m, r in c.observed}
        classes.append(
            {
                "class": c.key,
                "title": c.title,
                "connections": split[c.key],
                "threads": fleet.threads(c.key),
                **run.to_json(),
                "service_side": {name: stats for name, stats in side.items() if name in routes},
            }
        )
    runs = list(results.values())
    requests = sum(r.requests for r in runs)
    total: dict[str, Any] = {
        "connections": sum(split.values()),
        "requests": requests,
        "rps": round(sum(r.rps for r in runs), 1),
        "p50_ms": loadgen.merged_quantile(0.50, runs),
        "p99_ms": loadgen.merged_quantile(0.99, runs),
        "errors": sum(r.errors for r in runs),
    }
    if target.managed:
        total.update(observe.efficiency(cpu, total["rps"]))
    progress(
        f"  mixed: {total['rps']:.1f} req/s in total, p50 {total['p50_ms']} p99 {total['p99_ms']} ms;"
        + "".join(f" {c['class']} {c['rps']:.0f}/s p99 {c['p99_ms']:.0f} ms;" for c in classes)
    )

    drained, lag = True, 0.0
    try:
        lag, _ = asyncio.run(wait_for_drain(target, within=300))
    except TimeoutError:
        drained = False
    drift = asyncio.run(vote_drift(target))
    progress(
        f"    events drained {lag:.1f}s after the run; vote drift: {drift['sum_difference']} in sum,"
        f" {drift['posts_differing']} posts differ"
        if drained
        else f"    events NOT drained after 300 s; vote drift: {drift}"
    )
    measured = {
        "duration_s": duration,
        "warmup_s": warmup,
        "classes": classes,
        "total": total,
        "feed_cache": _cache_summary(cache_before, cache_after),
        "cpu_cores": cpu,
        "drained": drained,
        "drain_after_s": round(lag, 2) if drained else None,
        "vote_drift": drift,
    }
    return measured, fleet.create_base

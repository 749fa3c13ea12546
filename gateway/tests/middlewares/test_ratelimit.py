"""``rateLimit``: Traefik's token bucket per client IP, with its delay tolerance and 429 headers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from native_gateway.middlewares.ratelimit import RateLimitMiddleware


def test_burst_then_refill_at_the_average_rate():
    limiter = RateLimitMiddleware("rl", {"average": 10, "burst": 3, "period": "1s"})
    buckets: dict[str, list[float]] = {}
    assert [limiter.reserve("a", 100.0, buckets) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.reserve("a", 100.0, buckets) == pytest.approx(-0.1)  # 100 ms away > 50 ms max delay
    assert limiter.reserve("b", 100.0, buckets) == 0.0  # buckets are per source
    assert limiter.reserve("a", 100.2, buckets) == 0.0  # 0.2 s refills two tokens
    assert limiter.reserve("a", 100.2, buckets) == 0.0
    assert limiter.reserve("a", 100.24, buckets) == pytest.approx(-0.06)  # 60 ms away: refused


def test_small_waits_are_absorbed_not_refused():
    limiter = RateLimitMiddleware("rl", {"average": 10, "burst": 1})
    buckets: dict[str, list[float]] = {}
    assert limiter.reserve("a", 0.0, buckets) == 0.0
    assert limiter.reserve("a", 0.07, buckets) == pytest.approx(0.03)  # under maxDelay = 1/(2*10) s
    assert limiter.max_delay == pytest.approx(0.05)


def test_idle_bucket_expires_full():
    limiter = RateLimitMiddleware("rl", {"average": 1, "burst": 1, "period": "1m"})
    buckets: dict[str, list[float]] = {}
    assert limiter.ttl == 61
    assert limiter.reserve("a", 0.0, buckets) == 0.0
    assert limiter.reserve("a", 1.0, buckets) < 0
    assert limiter.reserve("a", 62.0, buckets) == 0.0


def test_average_zero_disables_the_limit():
    limiter = RateLimitMiddleware("rl", {"average": 0})

    async def handler(req):  # pragma: no cover - never called here
        return None

    assert limiter.wrap(handler) is handler


async def test_over_the_limit_gets_429_with_retry_headers(stack, client, write_config):
    config = write_config(
        f"""
        http:
          routers:
            r:
              rule: "PathPrefix(`/`)"
              middlewares: [limit]
              service: s
          middlewares:
            limit:
              rateLimit:
                average: 1
                burst: 2
                period: 10s
          services:
            s:
              loadBalancer:
                servers: [{{url: "{stack.posts.url}"}}]
        """
    )
    await stack.start_gateway(config)

    async def status() -> tuple[int, Any]:
        async with client.get(stack.url + "/x") as response:
            return response.status, response.headers.copy()

    results = await asyncio.gather(*(status() for _ in range(4)))
    assert sorted(code for code, _ in results) == [200, 200, 429, 429]
    limited = next(headers for code, headers in results if code == 429)
    assert 1 <= int(limited["Retry-After"]) <= 10
    assert limited["X-Retry-In"].endswith("s")
    assert limited["Content-Type"] == "application/json"

"""Traefik's ``rateLimit`` middleware: a token bucket per client IP, with Traefik's exact arithmetic.

Mirrors ``pkg/middlewares/ratelimiter`` (in-memory limiter) and Go's ``golang.org/x/time/rate``:

* rate = ``average / period`` tokens per second (``period`` defaults to 1s; ``average: 0`` disables),
  bucket size ``burst`` (at least 1); the source is the connection's remote address (the default
  ``ipStrategy``, which ignores ``X-Forwarded-For``).
* Each request reserves a token. If the reservation is ready within ``maxDelay`` (half the interval
  between two requests at the configured rate, or 500 ms below one request per second) the request
  waits that long and proceeds; otherwise the reservation is cancelled and the client gets 429 with
  ``Retry-After`` (whole seconds, rounded up) and ``X-Retry-In`` (Go duration).
* A bucket unused for its TTL (2 s, or 1 + 1/rate s for slow rates) is forgotten, i.e. starts full.

Buckets are per gateway process, as Traefik's are per instance without Redis.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Mapping
from typing import Any, Final

from native_gateway.durations import format_go_duration, parse_duration
from native_gateway.request import Handler, Request

__all__ = ["RateLimitMiddleware"]

_MAX_SOURCES: Final = 65536


class RateLimitMiddleware:
    """One configured ``rateLimit`` middleware (Traefik builds one per router using it; so do we)."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        average = int(options.get("average", 0))
        period = parse_duration(options.get("period", 1)) or 1.0
        if average < 0:
            raise ValueError("average must not be negative")
        self.burst = float(max(1, int(options.get("burst", 1))))
        self.rate = math.inf if average == 0 else average / period
        if average == 0:
            self.max_delay = 0.0
        elif self.rate < 1:
            self.max_delay = 0.5
        else:
            # Go: time.Second / (time.Duration(rtl) * 2), with rtl truncated to an integer.
            self.max_delay = 1.0 / (int(self.rate) * 2)
        self.ttl = 2.0 if self.rate >= 1 else 1.0 + int(1 / self.rate)

    def reserve(self, source: str, now: float, buckets: dict[str, list[float]]) -> float:
        """Reserve one token; return the delay before it is ready, or -1 if that delay is refused."""
        bucket = buckets.get(source)
        if bucket is None or now - bucket[1] > self.ttl:
            if bucket is None and len(buckets) >= _MAX_SOURCES:
                self._evict(now, buckets)
            bucket = buckets[source] = [self.burst, now]
        else:
            bucket[0] = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
            bucket[1] = now
        bucket[0] -= 1.0
        if bucket[0] >= 0:
            return 0.0
        delay = -bucket[0] / self.rate
        if delay > self.max_delay:
            bucket[0] += 1.0  # Reservation.Cancel(): give the token back.
            return -delay
        return delay

    def _evict(self, now: float, buckets: dict[str, list[float]]) -> None:
        for key in [key for key, (_, seen) in buckets.items() if now - seen > self.ttl]:
            del buckets[key]
        while len(buckets) >= _MAX_SOURCES:
            del buckets[next(iter(buckets))]

    def wrap(self, next_handler: Handler) -> Handler:
        if self.rate == math.inf:
            return next_handler
        buckets: dict[str, list[float]] = {}
        monotonic = time.monotonic

        async def handle(req: Request) -> None:
            delay = self.reserve(req.client_ip, monotonic(), buckets)
            if delay < 0:
                wait = -delay
                headers = [
                    (b"retry-after", str(math.ceil(wait)).encode("ascii")),
                    (b"x-retry-in", format_go_duration(wait).encode("ascii")),
                ]
                await req.respond_json(429, "Too Many Requests", headers)
                return
            if delay > 0:
                await asyncio.sleep(delay)
            await next_handler(req)

        return handle

"""Auth's one measured exception to the house style: the gateway's forwardAuth check, ahead of routing.

The gateway asks ``GET /internal/forward-auth`` before every request it routes, so this check runs on
every request of the system. It is not a FastAPI route: ``create_service_app`` hands
``fast_endpoints()`` to ``common.middleware.FastPaths``, which answers the path before FastAPI's
routing, dependency injection and response validation, and this module builds the raw answers (no
response model, no body on success). Errors are raised as everywhere else and rendered by
``common.errors.render_exception``, so a 400, 401, 426, 429 or 503 here is the same problem document
a route would answer; metrics, request id and logs are as for a route (``FastPaths`` sits inside the
observability middleware), only the 200s are counted and not logged one by one.

Why, measured (``bench/README.md``, "What moved the numbers (2026-11-23)"): forwardAuth on auth's
port with 32 connections went from 4,918 to 10,498 req/s with ``FastPaths`` (the ``forward-auth`` row
of ``bench/results/2026-11-23-0b8ce846.md``: 4917.8 req/s, p99 66.42 ms; of
``bench/results/2026-11-23-7fddcf53.md``: 10497.7 req/s, p99 7.71 ms; one connection,
``forward-auth-1c``: 2168.9 to 3921.6 req/s), and the anonymous feed through the gateway from
1,569 req/s / p99 112 ms to 1,938 req/s / p99 36 ms in the same change.

What it relies on is pinned by ``tests/test_hotpath.py``: no FastAPI route serves the path (only
``FastPaths`` answers it), ``FastPaths`` names the route for the metrics, and its answers (identity
headers, the problem documents) are those of ``auth_service.forward_auth``.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from auth_service.forward_auth.network import client_ip
from auth_service.forward_auth.service import FORWARD_AUTH_PATH, Verdict, identity_headers
from auth_service.state import state_of
from common.middleware import FastEndpoint
from common.problems import problem

__all__ = ["FORWARD_AUTH_PATH", "fast_endpoints", "forward_auth"]

_PASS = 200


def _answer(verdict: Verdict) -> Response:
    """200 with the identity headers (or none: anonymous), or 429 naming the longest wait."""
    if verdict.refused:
        worst = max(verdict.refused, key=lambda d: d.reset_after)
        return problem(
            429, f"Rate limit of your tier reached; retry in {worst.reset_after}s", headers=worst.headers()
        )
    if verdict.principal is None:
        return Response(status_code=_PASS)
    return Response(status_code=_PASS, headers=identity_headers(verdict.principal))


async def forward_auth(request: Request) -> Response:
    """``GET /internal/forward-auth``: 200 with identity headers, 200 without (anonymous), 400 or 426
    (client version), 401 (a refused token), 429 (a tier limit) or 503 (Redis)."""
    state = state_of(request.app)
    headers = request.headers
    verdict = await state.forward_auth.check(
        client_version=headers.get("x-client-version"),
        forwarded_uri=headers.get("x-forwarded-uri"),
        authorization=headers.get("authorization"),
        client_address=lambda: client_ip(request, trust_forwarded_for=state.settings.trust_forwarded_for),
    )
    return _answer(verdict)


def fast_endpoints() -> Mapping[str, FastEndpoint]:
    """What ``create_service_app`` hands ``common.middleware.FastPaths``: the check, by path."""
    return {FORWARD_AUTH_PATH: forward_auth}

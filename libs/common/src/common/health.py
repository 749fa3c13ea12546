"""``/health/live`` (the process answers) and ``/health/ready`` (its dependencies answer in time)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from common.problems import problem
from common.state import state_of

__all__ = ["HealthCheck", "health_router"]

HealthCheck = Callable[[], Awaitable[object]]

health_router = APIRouter(prefix="/health", tags=["health"], include_in_schema=False)


@health_router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


async def _run(check: HealthCheck, limit: float) -> str:
    try:
        async with asyncio.timeout(limit):
            await check()
    except TimeoutError:
        return f"timed out after {limit:g}s"
    except Exception as exc:
        return f"failed: {type(exc).__name__}"
    return "ok"


@health_router.get("/ready")
async def ready(request: Request) -> Response:
    state = state_of(request.app)
    checks = state.health_checks
    timeout = state.settings.readiness_timeout_seconds
    names = list(checks)
    results = await asyncio.gather(*(_run(checks[n], timeout) for n in names))
    report = dict(zip(names, results, strict=True))
    if all(r == "ok" for r in results):
        return JSONResponse({"status": "ok", "checks": report})
    failing = ", ".join(f"{n} {r}" for n, r in report.items() if r != "ok")
    return problem(503, f"not ready: {failing}", checks=report)

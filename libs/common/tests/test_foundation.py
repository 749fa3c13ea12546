"""Settings, the error model, request ids, health, pagination, rate limits and storage."""

from __future__ import annotations

import logging
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import httpx
import pytest
import redis.asyncio as aioredis
import redis.exceptions
from fastapi import FastAPI, Request, Response
from prometheus_client import REGISTRY
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa_exc

from common.errors import BadRequest, Conflict, NotFound, Unauthorized, install_error_handlers
from common.health import health_router
from common.logging import configure_logging, request_id_var
from common.middleware import FastPaths, ObservabilityMiddleware
from common.pagination import decode_cursor, encode_cursor
from common.ratelimit import Limit, RateLimiter
from common.settings import ServiceSettings
from common.storage import LocalStorage, validate_key
from common_testing import machine_lock

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_default_secrets_are_refused_outside_development() -> None:
    with pytest.raises(ValidationError, match="default secrets are refused in production"):
        ServiceSettings(environment="production")  # guest:guest broker credentials
    ok = ServiceSettings(environment="production", amqp_url="amqp://svc:s3cret@mq:5672/")
    assert ok.environment == "production"
    assert ServiceSettings(environment="development").is_dev


class Body(BaseModel):
    n: int


def _inline_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(ObservabilityMiddleware, service="inline")

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Already there")

    @app.get("/missing/{item_id}")
    async def missing(item_id: int) -> None:
        raise NotFound(f"Item {item_id} not found")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.post("/body")
    async def body(data: Body) -> dict[str, int]:
        return {"n": data.n}

    @app.get("/db-full")
    async def db_full() -> None:
        cause = asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already")
        raise sa_exc.DBAPIError("SELECT 1", {}, cause)

    @app.get("/redis-down")
    async def redis_down() -> None:
        raise redis.exceptions.ConnectionError("Connection refused")

    @app.get("/integrity")
    async def integrity() -> None:
        raise sa_exc.IntegrityError("INSERT", {}, ValueError("duplicate key"))

    @app.get("/rid")
    async def rid() -> dict[str, str | None]:
        return {"request_id": request_id_var.get()}

    return app


@pytest.fixture
async def inline() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(_inline_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://inline")


async def test_domain_errors_render_as_problems_with_their_status(inline: httpx.AsyncClient) -> None:
    conflict = await inline.get("/conflict", headers={"X-Request-ID": "req-1"})
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json() == {
        "type": "tag:social-posts,2026:problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Already there",
        "instance": "req-1",
    }
    missing = await inline.get("/missing/7")
    assert (missing.status_code, missing.json()["detail"]) == (404, "Item 7 not found")
    assert missing.json()["instance"] == missing.headers["x-request-id"]
    unrouted = await inline.get("/nowhere")
    assert (unrouted.status_code, unrouted.json()["detail"]) == (404, "Not Found")
    assert unrouted.json()["type"] == "tag:social-posts,2026:problems/not-found"


async def test_validation_errors_say_where_and_what(inline: httpx.AsyncClient) -> None:
    response = await inline.post("/body", json={"n": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("Invalid request: body.n: ")
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "n"]
    assert "integer" in error["msg"]
    assert "input" not in error  # a client's values are not echoed back


async def test_unexpected_errors_are_a_bland_500(
    inline: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await inline.get("/boom")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal server error"
    assert set(response.json()) == {"type", "title", "status", "detail", "instance"}
    assert "secret internals" not in response.text


async def test_a_dependency_that_does_not_answer_is_a_503_to_retry(inline: httpx.AsyncClient) -> None:
    for path in ("/db-full", "/redis-down"):
        response = await inline.get(path)
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == "1"
        assert "retry" in response.json()["detail"]
        assert "too many clients" not in response.text
    assert (await inline.get("/integrity")).status_code == 500  # a bug stays a bug


async def test_request_id_is_taken_or_generated_and_returned(inline: httpx.AsyncClient) -> None:
    given = await inline.get("/rid", headers={"X-Request-ID": "abc-123"})
    assert given.json() == {"request_id": "abc-123"}
    assert given.headers["x-request-id"] == "abc-123"
    generated = await inline.get("/rid")
    assert len(generated.headers["x-request-id"]) == 32
    assert generated.json()["request_id"] == generated.headers["x-request-id"]


def _fast_app() -> FastAPI:
    """A fast path in front of the router, wired as ``create_service_app`` wires it."""

    async def check(request: Request) -> Response:
        verdict = request.headers.get("x-verdict", "ok")
        if verdict == "refuse":
            raise Unauthorized("Sign in first")
        if verdict == "redis":
            raise redis.exceptions.ConnectionError("Connection refused")
        if verdict == "bug":
            raise RuntimeError("secret internals")
        return Response(status_code=200, headers={"X-User-Id": "42", "X-Rid": request_id_var.get() or ""})

    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(FastPaths, endpoints={"/check": check})
    app.add_middleware(ObservabilityMiddleware, service="fast", quiet_routes=("/check",))

    @app.post("/check")
    async def posted() -> dict[str, str]:
        return {"served_by": "router"}

    return app


async def test_a_fast_path_answers_like_a_route_with_metrics_errors_and_quiet_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = httpx.ASGITransport(_fast_app(), raise_app_exceptions=False)
    before = REGISTRY.get_sample_value(
        "http_requests_total", {"service": "fast", "method": "GET", "route": "/check", "status": "200"}
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://fast") as client:
        with caplog.at_level(logging.INFO, logger="access"):
            ok = await client.get("/check", headers={"X-Request-ID": "rid-1"})
            refused = await client.get("/check", headers={"X-Verdict": "refuse"})
        down = await client.get("/check", headers={"X-Verdict": "redis"})
        with caplog.at_level(logging.ERROR):
            bug = await client.get("/check", headers={"X-Verdict": "bug"})
        posted = await client.post("/check")
    assert (ok.status_code, ok.headers["x-user-id"], ok.headers["x-rid"]) == (200, "42", "rid-1")
    assert ok.headers["x-request-id"] == "rid-1"
    assert (refused.status_code, refused.json()["detail"]) == (401, "Sign in first")
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["www-authenticate"] == "Bearer"
    assert (down.status_code, down.headers["retry-after"]) == (503, "1")
    assert (bug.status_code, bug.json()["detail"]) == (500, "Internal server error")
    assert posted.json() == {"served_by": "router"}  # other methods go through FastAPI's router
    after = REGISTRY.get_sample_value(
        "http_requests_total", {"service": "fast", "method": "GET", "route": "/check", "status": "200"}
    )
    assert (after or 0) - (before or 0) == 1
    logged = [r for r in caplog.records if r.name == "access"]
    assert [getattr(r, "status", None) for r in logged] == [401]  # the refusal, not the success


async def test_json_logs_redact_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("probe")
    logging.getLogger("probe").info("login", extra={"password": "hunter2hunter2", "user": "alice"})
    out = capsys.readouterr().out
    assert '"user": "alice"' in out
    assert "hunter2" not in out
    logging.getLogger().handlers.clear()


async def test_readiness_reports_which_dependency_is_down() -> None:
    app = FastAPI()
    app.include_router(health_router)

    async def ok() -> None:
        return None

    async def down() -> None:
        raise ConnectionError("refused")

    # what readiness reads of a service's state (common.state.ServiceState)
    app.state.service = SimpleNamespace(
        settings=ServiceSettings(readiness_timeout_seconds=0.5),
        health_checks={"database": ok, "rabbitmq": down},
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://h") as client:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["checks"] == {"database": "ok", "rabbitmq": "failed: ConnectionError"}
        assert "rabbitmq" in response.json()["detail"]
        assert (await client.get("/health/live")).status_code == 200


def test_cursors_round_trip_and_garbage_is_a_400() -> None:
    assert decode_cursor(encode_cursor(["2026-01-01T00:00:00", "x"]), 2) == ["2026-01-01T00:00:00", "x"]
    for bad in ("%%%", encode_cursor(["only one"]), "x" * 600, encode_cursor({"a": 1})):  # type: ignore[arg-type]
        with pytest.raises(BadRequest, match="Invalid cursor"):
            decode_cursor(bad, 2)


async def test_rate_limiter_counts_per_key_and_window() -> None:
    async with aioredis.Redis.from_url(REDIS_URL) as redis:
        await redis.flushdb()
        limiter = RateLimiter(redis, prefix="t")
        decisions = [await limiter.hit("ip:1", Limit(3, 60)) for _ in range(4)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert decisions[2].remaining == 0
        blocked = decisions[3].headers()
        assert blocked["RateLimit-Limit"] == "3"
        assert 1 <= int(blocked["Retry-After"]) <= 61
        assert (await limiter.hit("ip:2", Limit(3, 60))).allowed  # other keys are independent


async def test_local_storage_writes_reads_and_refuses_escapes(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("media/abc/original", b"bytes", "image/png")
    assert await storage.get("media/abc/original") == b"bytes"
    assert await storage.exists("media/abc/original")
    await storage.delete("media/abc/original")
    assert not await storage.exists("media/abc/original")
    with pytest.raises(NotFound):
        await storage.get("media/abc/original")
    for key in ("../etc/passwd", "/abs", "a/../../b", "a\\b", ""):
        with pytest.raises(ValueError, match="invalid storage key"):
            validate_key(key)


def test_machine_lock_makes_a_second_holder_wait_and_is_freed_when_the_first_exits() -> None:
    name = f"lock-test-{uuid.uuid4().hex[:8]}"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import time; from common_testing import machine_lock\n"
            f"with machine_lock({name!r}):\n    print('held', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        with pytest.raises(TimeoutError), machine_lock(name, wait=1.5):
            pass
    finally:
        holder.kill()  # killed, not released: the lock goes with the process
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    with machine_lock(name, wait=5):
        pass

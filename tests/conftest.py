"""The whole native stack, started once per test run on its own ports and databases.

Shared by the end-to-end, security and fuzzing suites under tests/ (the fault suite starts its own).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from common_testing import TEST_AMQP_URL, delete_topology, machine_lock
from common_testing.otlp_receiver import OtlpReceiver
from deploy.native import stack as native

ROOT = Path(__file__).resolve().parents[1]


class MailCatcher:
    """The stack's mail catcher (deploy/native/mailcatcher.py), read through its own JSON API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def to(self, address: str) -> list[dict[str, Any]]:
        """Messages to ``address``, newest first: id, from, to, subject, date, text."""
        response = httpx.get(f"{self.url}/api/messages", params={"to": address}, timeout=5)
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()
        return messages

    def wait_for(self, address: str, subject: str, within: float = 20.0) -> dict[str, Any]:
        """The newest message to ``address`` whose subject contains ``subject`` (case-insensitive)."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            for message in self.to(address):
                if subject.lower() in message["subject"].lower():
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail about {subject!r} reached {address} within {within:.0f}s")


@pytest.fixture(scope="session")
def mail_catcher(stack: Any) -> MailCatcher:
    return MailCatcher(stack.config.mail_url)


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, otlp_receiver: OtlpReceiver) -> Iterator[object]:
    config = native.StackConfig(
        gateway_port=18000,
        ports={"auth": 18001, "posts": 18002, "votes": 18003, "worker": 18004},
        db_suffix="_e2e",
        events_prefix="e2e.",
        redis_url="redis://127.0.0.1:6379/14",
        environment="test",
        keys_dir=tmp_path_factory.mktemp("keys"),
        log_dir=ROOT / ".dev" / "logs" / "e2e",
        extra_env={
            "MEDIA_DIR": str(tmp_path_factory.mktemp("media")),
            # Mail jobs retry quickly here, so a test waits seconds, not minutes.
            "JOB_RETRY_BASE_SECONDS": "0.5",
            # No abuse limit is raised here: the security suite checks them as configured through the
            # gateway. Tests that sign up or in do it from loopback addresses of their own
            # (127.0.0.x), as the per-address limits (20 sign-ups an hour) would otherwise add up.
            # Traces on, every one kept, to the suite's own receiver (tests/e2e/test_tracing.py); the
            # stack's default is off. Exported every 100 ms so a test waits little.
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.endpoint,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "1.0",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
        },
    )
    with machine_lock("e2e-stack"):  # another checkout's run would drop these databases mid-run
        yield from _start_stack(config)


def _start_stack(config: Any) -> Iterator[object]:
    # Every run starts from nothing: databases, queued events and Redis state (rate-limit counters).
    for name in native.SERVICES:
        native._run([sys.executable, "-c", _DROP, config.database_url(name)])
    asyncio.run(_reset_broker_and_redis(config.events_prefix, config.redis_url))
    native.prepare(config)
    shutil.rmtree(native.ROOT / ".dev" / "mail" / str(config.gateway_port), ignore_errors=True)
    for old in config.log_dir.glob("*.log"):  # this run's logs only (the edge tests read the gateway's)
        old.unlink()
    running: Any = native.Stack(config)  # with the start log beside it (gateway_start_log)
    try:  # a service that fails to start must not leave the others (or the mail catcher) running
        running.start()
        running.wait_ready(timeout=90)
        # What Traefik logged from its start until the stack was ready, before any test stopped a service.
        running.gateway_start_log = (config.log_dir / "gateway.log").read_text()
        yield running
    finally:
        running.stop()


_DROP = (
    "import asyncio, sys; from common.dbtools import drop_database; asyncio.run(drop_database(sys.argv[1]))"
)


async def _reset_broker_and_redis(prefix: str, redis_url: str) -> None:
    await delete_topology(TEST_AMQP_URL, prefix)
    async with aioredis.Redis.from_url(redis_url) as redis:
        await redis.flushdb()

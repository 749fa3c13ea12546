"""The whole native stack, started once per test run on its own ports and databases.

Shared by the end-to-end, security and fuzzing suites under tests/ (the fault suite starts its own).
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
import redis.asyncio as aioredis

from common.testing import TEST_AMQP_URL, delete_topology

ROOT = Path(__file__).resolve().parents[1]


def _load_stack() -> ModuleType:
    spec = importlib.util.spec_from_file_location("native_stack", ROOT / "deploy/native/stack.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["native_stack"] = module
    spec.loader.exec_module(module)
    return module


stack_module = _load_stack()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    config = stack_module.StackConfig(
        gateway_port=18000,
        ports={"auth": 18001, "posts": 18002, "votes": 18003, "worker": 18004},
        db_suffix="_e2e",
        events_prefix="e2e.",
        redis_url="redis://127.0.0.1:6379/14",
        environment="test",
        keys_dir=tmp_path_factory.mktemp("keys"),
        log_dir=ROOT / ".dev" / "logs" / "e2e",
    )
    # Every run starts from nothing: databases, queued events and Redis state (rate-limit counters).
    for name in stack_module.SERVICES:
        stack_module._run([sys.executable, "-c", _DROP, config.database_url(name)])
    asyncio.run(_reset_broker_and_redis(config.events_prefix, config.redis_url))
    stack_module.prepare(config)
    running = stack_module.Stack(config)
    running.start()
    try:
        running.wait_ready(timeout=90)
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

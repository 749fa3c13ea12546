"""The whole native stack, started once per test run on its own ports and databases.

Shared by the end-to-end, security and fuzzing suites under tests/ (the fault suite starts its own).
"""

from __future__ import annotations

import asyncio
import importlib.util
import socket
import sys
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiosmtpd.controller import Controller

from common.testing import TEST_AMQP_URL, delete_topology, machine_lock

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


class Mailbox:
    """An SMTP server on a free loopback port standing in for the outside mail system."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, _class=EmailMessage, policy=default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@pytest.fixture(scope="session")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Mailbox, int]) -> Iterator[object]:
    config = stack_module.StackConfig(
        gateway_port=18000,
        ports={"auth": 18001, "posts": 18002, "votes": 18003, "worker": 18004},
        db_suffix="_e2e",
        events_prefix="e2e.",
        redis_url="redis://127.0.0.1:6379/14",
        environment="test",
        keys_dir=tmp_path_factory.mktemp("keys"),
        log_dir=ROOT / ".dev" / "logs" / "e2e",
        extra_env={
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(mailbox[1]),
            "MEDIA_DIR": str(tmp_path_factory.mktemp("media")),
            # Mail jobs retry quickly here, so a test waits seconds, not minutes.
            "JOB_RETRY_BASE_SECONDS": "0.5",
        },
    )
    with machine_lock("e2e-stack"):  # another checkout's run would drop these databases mid-run
        yield from _start_stack(config)


def _start_stack(config: Any) -> Iterator[object]:
    # Every run starts from nothing: databases, queued events and Redis state (rate-limit counters).
    for name in stack_module.SERVICES:
        stack_module._run([sys.executable, "-c", _DROP, config.database_url(name)])
    asyncio.run(_reset_broker_and_redis(config.events_prefix, config.redis_url))
    stack_module.prepare(config)
    for old in config.log_dir.glob("*.log"):  # this run's logs only (the edge tests read the gateway's)
        old.unlink()
    running = stack_module.Stack(config)
    running.start()
    try:
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

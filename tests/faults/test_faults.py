"""Faults under load, on the fault suite's own stack: nothing acknowledged is lost, nothing applied twice.

Each test starts writers through the gateway, makes one fault while they write, takes it away,
lets the writers go on for a moment, then stops them and checks (``settle_and_check``): every
acknowledged post, vote and sign-up is stored; every producer's outbox matches its consumers'
inboxes (nothing lost, nothing unexpected, no effect twice); posts' vote counts equal the votes
stored; every request got a success or a clear JSON error within the client timeout. The answers
the writers saw are printed (``-s`` shows them).
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

#: The first test also starts the fault stack.
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

#: How long the writers run before, during and after a fault (seconds).
BEFORE, DURING, AFTER = 1.5, 3.0, 1.5


async def test_rabbitmq_restart_mid_load_delays_events_and_loses_none(
    fault_stack: Any, proxies: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    load.start()
    await asyncio.sleep(BEFORE)
    await proxies.call(proxies.amqp.cut())  # every service loses the broker at once
    acknowledged_before = len(load.posts)
    await asyncio.sleep(DURING)
    acknowledged_during = len(load.posts) - acknowledged_before
    await proxies.call(proxies.amqp.restore())
    await asyncio.sleep(AFTER)
    await settle_and_check(ledger, load, fault_stack)
    assert acknowledged_during > 0, "writes must not need the broker: the outbox holds their events"


async def test_redis_drop_and_restore_refuses_clearly_and_recovers(
    fault_stack: Any, proxies: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    load.start()
    await asyncio.sleep(BEFORE)
    await proxies.call(proxies.redis.cut())
    await asyncio.sleep(DURING)
    await proxies.call(proxies.redis.restore())
    acknowledged_at_restore = len(load.posts)
    await asyncio.sleep(AFTER + 1.0)
    await settle_and_check(ledger, load, fault_stack)
    assert len(load.posts) > acknowledged_at_restore, "writes resume once Redis is back"


async def test_posts_database_stall_delays_writes_and_loses_none(
    fault_stack: Any, proxies: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    load.start()
    await asyncio.sleep(BEFORE)
    await proxies.call(proxies.pg["posts"].pause())  # connections stay open; nothing moves
    await asyncio.sleep(DURING + 1.0)
    await proxies.call(proxies.pg["posts"].resume())
    acknowledged_at_resume = len(load.posts)
    await asyncio.sleep(AFTER)
    await settle_and_check(ledger, load, fault_stack)
    assert len(load.posts) > acknowledged_at_resume, "writes resume once the database answers again"


@pytest.mark.parametrize("service", ["posts", "votes", "worker"])
async def test_a_killed_service_restarts_and_loses_nothing(
    service: str, fault_stack: Any, load: Any, ledger: Any, settle_and_check: Any
) -> None:
    load.start()
    await asyncio.sleep(BEFORE)
    await asyncio.to_thread(fault_stack.stop, [service], sig=signal.SIGKILL)  # no shutdown, no goodbye
    await asyncio.sleep(DURING)
    await asyncio.to_thread(fault_stack.start, [service])
    await asyncio.to_thread(fault_stack.wait_ready, 60)
    await asyncio.sleep(AFTER)
    await settle_and_check(ledger, load, fault_stack)

"""``common.tasks.Periodic``: a pass now, then one per interval or when woken; a failed pass is
logged and the loop goes on; stop ends it."""

from __future__ import annotations

import asyncio
import logging

import pytest

from common.tasks import Periodic


class Counter(Periodic):
    name = "counter"

    def __init__(self, *, interval_seconds: float, fail_first: int = 0) -> None:
        super().__init__(interval_seconds=interval_seconds)
        self.passes = 0
        self.fail_first = fail_first
        self.ran = asyncio.Event()

    async def run_once(self) -> int:
        self.passes += 1
        self.ran.set()
        if self.passes <= self.fail_first:
            raise RuntimeError("boom")
        return self.passes


async def passes_reach(task: Counter, count: int, *, within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while task.passes < count:
            task.ran.clear()
            await task.ran.wait()


async def test_runs_at_once_then_every_interval_until_stopped() -> None:
    task = Counter(interval_seconds=0.01)
    assert not task.running
    task.start()
    assert task.running
    await passes_reach(task, 3)
    await task.stop()
    assert not task.running
    stopped_at = task.passes
    await asyncio.sleep(0.05)
    assert task.passes == stopped_at


async def test_wake_runs_the_next_pass_before_the_interval() -> None:
    task = Counter(interval_seconds=3600)
    task.start()
    try:
        await passes_reach(task, 1)
        task.wake()
        await passes_reach(task, 2)
    finally:
        await task.stop()


async def test_a_failed_pass_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    task = Counter(interval_seconds=0.01, fail_first=2)
    with caplog.at_level(logging.WARNING, logger="common.tasks"):
        task.start()
        try:
            await passes_reach(task, 3)
        finally:
            await task.stop()
    failures = [r for r in caplog.records if r.getMessage() == "counter pass failed"]
    assert len(failures) == 2
    assert failures[0].__dict__["error"] == "RuntimeError: boom"


async def test_stop_before_start_is_harmless() -> None:
    await Counter(interval_seconds=1).stop()

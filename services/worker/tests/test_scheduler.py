"""Schedules fire once per slot, however many workers tick at the same moment."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from worker_service.jobs.scheduler import Scheduler
from worker_service.retention.service import token_cleanup
from worker_service.state import state_of

NAME = "token-cleanup-race"


def schedulers(app, count: int) -> list[Scheduler]:
    spec = dataclasses.replace(token_cleanup(state_of(app).settings), name=NAME, interval_seconds=3600)
    return [Scheduler(state_of(app).db, [spec], poll_seconds=60) for _ in range(count)]


async def rewind(app, by: timedelta) -> None:
    """Time travel: make the next slot due, as if ``by`` had passed."""
    async with state_of(app).db.session() as session, session.begin():
        statement = "UPDATE schedules SET next_run_at = next_run_at - CAST(:by AS interval) WHERE name = :n"
        await session.execute(text(statement), {"by": by, "n": NAME})


async def test_two_workers_racing_fire_exactly_one_event_per_slot(client, app, published) -> None:
    before = len(await published("worker.tokens.cleanup_requested"))
    racers = schedulers(app, 2)
    await asyncio.gather(*(s.ensure() for s in racers))
    fired_per_round = []
    for _ in range(5):
        results = await asyncio.gather(*(s.tick() for s in racers for _ in range(3)))
        fired_per_round.append(sum(len(result) for result in results))
        await rewind(app, timedelta(hours=1))  # the next slot comes due

    assert fired_per_round == [1, 1, 1, 1, 1]
    assert len(await published("worker.tokens.cleanup_requested")) == before + 5


async def test_a_worker_back_after_missed_slots_fires_once_for_the_latest(
    client, app, sql, published
) -> None:
    (scheduler,) = schedulers(app, 1)
    assert len(await scheduler.tick()) == 1  # first slot: due at once
    assert await scheduler.tick() == []  # not due again within the hour
    await rewind(app, timedelta(hours=3, minutes=30))  # three and a half intervals missed

    (fired,) = await scheduler.tick()
    assert await scheduler.tick() == []
    (row,) = await sql("SELECT next_run_at, last_run_at FROM schedules WHERE name = :n", n=NAME)
    now = datetime.now(UTC)
    assert now < row["next_run_at"] <= now + timedelta(hours=1)
    assert (row["next_run_at"] - fired[1]) % timedelta(hours=1) == timedelta(0)  # slots stay aligned

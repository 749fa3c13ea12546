"""Recurring tasks that fire once per slot, however many workers run.

Each schedule is a row with ``next_run_at``. A tick claims a due row with ``FOR UPDATE SKIP
LOCKED``, moves ``next_run_at`` to the next slot in the future and writes the schedule's event to
the outbox, all in one transaction: a second worker ticking at the same moment skips the locked
row, or finds it no longer due. A worker that was down for several slots fires once, for the
latest missed slot, rather than a burst of catch-up events; slots stay aligned to the interval.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from common.db import Database
from common.events import Event, add_event
from common.tasks import Periodic

__all__ = ["ScheduleSpec", "Scheduler"]

log = logging.getLogger("worker_service.scheduler")


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    name: str
    interval_seconds: int
    #: The event that fires, given the slot it is for.
    event: Callable[[datetime], Event]


# A changed (shorter) interval takes effect at once instead of after the old, longer wait.
_ENSURE = text(
    """
    INSERT INTO schedules (name, interval_seconds, next_run_at) VALUES (:name, :interval, now())
    ON CONFLICT (name) DO UPDATE SET
        interval_seconds = EXCLUDED.interval_seconds,
        next_run_at = LEAST(schedules.next_run_at, now() + make_interval(secs => EXCLUDED.interval_seconds))
    """
)
_CLAIM = text(
    """
    WITH due AS (
        SELECT name, next_run_at, interval_seconds FROM schedules
        WHERE name = :name AND next_run_at <= now()
        FOR UPDATE SKIP LOCKED
    )
    UPDATE schedules s SET
        last_run_at = now(),
        next_run_at = due.next_run_at + make_interval(secs => due.interval_seconds
            * (floor(extract(epoch FROM now() - due.next_run_at) / due.interval_seconds) + 1))
    FROM due WHERE s.name = due.name
    RETURNING due.next_run_at AS slot
    """
)


class Scheduler(Periodic):
    """Fires the due schedules every ``poll_seconds``."""

    name = "scheduler"
    log = log

    def __init__(self, db: Database, specs: Sequence[ScheduleSpec], *, poll_seconds: float) -> None:
        super().__init__(interval_seconds=poll_seconds)
        self.db = db
        self.specs = list(specs)
        self._ensured = False

    async def run_once(self) -> list[tuple[str, datetime]]:
        return await self.tick()

    async def ensure(self) -> None:
        """Create (or update the interval of) each schedule's row; the first slot is due at once."""
        async with self.db.session() as session, session.begin():
            for spec in self.specs:
                await session.execute(_ENSURE, {"name": spec.name, "interval": spec.interval_seconds})
        self._ensured = True

    async def tick(self) -> list[tuple[str, datetime]]:
        """Fire every due schedule; returns ``(name, slot)`` for those this instance fired."""
        if not self._ensured:
            await self.ensure()
        fired = []
        for spec in self.specs:
            async with self.db.session() as session, session.begin():
                slot = (await session.execute(_CLAIM, {"name": spec.name})).scalar()
                if slot is None:
                    continue
                await add_event(session, spec.event(slot))
            log.info("schedule fired", extra={"schedule": spec.name, "slot": slot.isoformat()})
            fired.append((spec.name, slot))
        return fired

"""Periodic background work inside a service process: a purge, a prune, a scheduler's tick.

Subclass :class:`Periodic`, give it a ``name`` and a :meth:`~Periodic.run_once`, and the start, the
loop and the stop come with it::

    class JobPruner(Periodic):
        name = "jobs-prune"

        async def run_once(self) -> int: ...

    pruner = JobPruner(interval_seconds=3600)
    pruner.start()          # in the service's setup, when settings.run_background
    pruner.wake()           # optional: run the next pass now instead of at the end of the wait
    await pruner.stop()     # on the way out

A pass that raises is logged and does not end the loop: the next pass comes after the interval, as
usual. Tests and operators' commands call ``run_once`` directly, without starting the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import ClassVar

__all__ = ["Periodic"]


class Periodic:
    """Runs :meth:`run_once` now, then every ``interval_seconds`` (or as soon as :meth:`wake` is
    called), in one asyncio task, until :meth:`stop`."""

    #: The asyncio task's name, and what a failed pass's log line names.
    name: ClassVar[str] = "periodic"
    #: The logger for failed passes; a subclass sets its own so its lines keep their logger name.
    log: ClassVar[logging.Logger] = logging.getLogger("common.tasks")

    def __init__(self, *, interval_seconds: float) -> None:
        self.interval = interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> object:
        """One pass of the work; what it returns is for its direct callers (tests, commands)."""
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name=self.name)

    def wake(self) -> None:
        """Run the next pass now (or right after the one in progress) instead of after the wait."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run_forever(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.run_once()
            except Exception as exc:  # CancelledError is not an Exception: stop() still ends the loop
                error = f"{type(exc).__name__}: {exc}"[:300]
                self.log.warning("%s pass failed", self.name, extra={"task": self.name, "error": error})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)

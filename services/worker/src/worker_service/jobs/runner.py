"""Job runners: claim due jobs, run them under a lease, record the outcome with its events.

One claim is one committed transaction (``FOR UPDATE SKIP LOCKED``: replicas never run a job twice
at once) that marks the job ``running``, raises ``attempts`` and sets a lease. While the job runs,
a heartbeat renews the lease. The outcome (``succeeded`` + success events, ``failed`` + failure
events, or ``pending`` again after a back-off) is written in ONE transaction, fenced on the
attempt number, so:

- a runner killed mid-job lets its lease lapse; another runner claims the job and repeats the
  (idempotent) effect; only that attempt can record the outcome, so it is published once;
- a runner that merely stalled past its lease finds the job taken over and records nothing;
- a runner that cannot renew its lease in time (the database stalled, or another runner took the
  job over) cancels the job: its heartbeat counts the lease from before the claim, so the job is
  cancelled no later than the moment another runner may claim it. The non-repeatable step of a
  job (the SMTP hand-over, a storage write) passes ``ctx.fence()`` first, one statement that
  renews the lease only while ``(id, running, attempts)`` still match, so a stalled runner that
  wakes up after the takeover never acts.

A job re-claimed more than ``job_max_attempts`` times (the worker keeps dying on it) is failed
without running it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from common import telemetry
from common.db import Database
from common.events import Event, add_event
from common.storage import ObjectStorage
from worker_service.jobs import repository
from worker_service.jobs.kinds import JobContext, JobKind, JobRejected, LeaseLost, redact
from worker_service.jobs.metrics import JOB_DURATION, JOBS
from worker_service.jobs.models import JobStatus
from worker_service.jobs.repository import ClaimedJob
from worker_service.settings import WorkerSettings

__all__ = ["JobRunner", "JobRunners", "Outcome"]

log = logging.getLogger("worker_service.runner")


@dataclass(frozen=True, slots=True)
class Outcome:
    succeeded: bool
    error: str | None = None
    final: bool = True
    events: list[Event] = field(default_factory=list)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


class JobRunner:
    """Runs the jobs of one queue with ``concurrency`` concurrent tasks."""

    def __init__(
        self,
        db: Database,
        settings: WorkerSettings,
        storage: ObjectStorage,
        kinds: dict[str, JobKind],
        *,
        queue: str,
        concurrency: int,
    ) -> None:
        self.db = db
        self.settings = settings
        self.storage = storage
        self.kinds = kinds
        self.queue = queue
        self.concurrency = concurrency
        self._wake = asyncio.Event()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work_forever(), name=f"jobs-{self.queue}-{n}")
            for n in range(self.concurrency)
        ]

    async def stop(self, grace: float = 0.0) -> None:
        """Stop claiming; give running jobs ``grace`` seconds to finish, then cancel them (their
        leases lapse and another runner takes them over)."""
        self._stopping = True
        self._wake.set()
        if grace > 0 and self._tasks:
            await asyncio.wait(self._tasks, timeout=grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    async def _work_forever(self) -> None:
        failures = 0
        while not self._stopping:
            self._wake.clear()
            try:
                worked = await self.run_once()
                failures = 0
            except Exception as exc:  # database down: back off, the lease protects the job
                failures += 1
                log.warning("job runner pass failed", extra={"queue": self.queue, "error": _describe(exc)})
                await asyncio.sleep(min(0.5 * 2**failures, 15.0))
                continue
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.job_poll_seconds)

    async def run_once(self) -> bool:
        """Claim and run one job; False when none was due."""
        lease_from = time.monotonic()  # the lease the claim sets started no later than this
        job = await self._claim()
        if job is None:
            return False
        if not telemetry.enabled:
            await self._run_claimed(job, lease_from)
            return True
        # A span of the trace the job was recorded in (the event's consumer), so a mail sent or an
        # image resized shows under the action that caused it; its outcome's events carry it on.
        with telemetry.tracer.start_as_current_span(
            f"job {job.type}",
            context=telemetry.context_of(job.trace_context),
            attributes={"job.id": str(job.id), "job.type": job.type, "job.attempt": job.attempts},
        ):
            await self._run_claimed(job, lease_from)
        return True

    async def _run_claimed(self, job: ClaimedJob, lease_from: float) -> None:
        kind = self.kinds.get(job.type)
        if kind is None:
            await self._settle(job, None, Outcome(False, f"no runner knows job type {job.type!r}"))
        elif job.attempts > self.settings.job_max_attempts:
            reason = f"gave up: the worker stopped during each of {job.attempts - 1} attempts"
            await self._settle(job, kind, Outcome(False, reason))
        else:
            outcome = await self._execute(job, kind, lease_from)
            if outcome is None:  # the lease was lost: the job belongs to whoever claims it next
                JOBS.labels(job.type, "lease_lost").inc()
            else:
                await self._settle(job, kind, outcome)

    async def _claim(self) -> ClaimedJob | None:
        async with self.db.session() as session, session.begin():
            lease = self.settings.job_lease_seconds
            job = await repository.claim_next(session, self.queue, lease_seconds=lease)
            kind = self.kinds.get(job.type) if job else None
            if job is not None and kind is not None and job.attempts == 1:
                for event in kind.started(job.payload):
                    await add_event(session, event)
        return job

    async def _execute(self, job: ClaimedJob, kind: JobKind, lease_from: float) -> Outcome | None:
        """Run the job under its lease; None if the lease was lost (the job was cancelled)."""
        ctx = JobContext(
            job_id=job.id,
            attempt=job.attempts,
            settings=self.settings,
            storage=self.storage,
            fence=functools.partial(self._fence, job),
        )
        work = asyncio.create_task(self._run(kind, ctx, job.payload))
        heartbeat = asyncio.create_task(self._heartbeat(job, lease_from))
        started = time.monotonic()
        try:
            await asyncio.wait({work, heartbeat}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():
                log.warning("job lease lost; job cancelled", extra={"job_id": str(job.id)})
                return None
            events = work.result()
        except LeaseLost:
            log.warning("job taken over before its next step; job stopped", extra={"job_id": str(job.id)})
            return None
        except JobRejected as exc:
            return Outcome(False, exc.reason)
        except TimeoutError:
            reason = f"timed out after {self.settings.job_timeout_seconds:g}s"
            return Outcome(False, reason, final=job.attempts >= self.settings.job_max_attempts)
        except Exception as exc:
            return Outcome(False, _describe(exc), final=job.attempts >= self.settings.job_max_attempts)
        finally:
            work.cancel()
            heartbeat.cancel()
            await asyncio.wait([work, heartbeat])
            JOB_DURATION.labels(job.type).observe(time.monotonic() - started)
        return Outcome(True, events=events)

    async def _run(self, kind: JobKind, ctx: JobContext, payload: dict[str, Any]) -> list[Event]:
        async with asyncio.timeout(self.settings.job_timeout_seconds):
            return await kind.run(ctx, payload)

    async def _fence(self, job: ClaimedJob) -> None:
        """Renew the lease if this attempt still owns the job, in one fenced statement; else raise."""
        async with self.db.session() as session, session.begin():
            if not await repository.renew_lease(session, job, lease_seconds=self.settings.job_lease_seconds):
                raise LeaseLost(str(job.id))

    async def _heartbeat(self, job: ClaimedJob, lease_from: float) -> None:
        """Renew the lease every third of it; return once it is lost.

        Lost means another runner took the job over, or no renewal succeeded before the lease (as
        counted here, from before the statement that set it) ran out: from then on another runner
        may claim the job, so this one must stop.
        """
        lease = self.settings.job_lease_seconds
        expires = lease_from + lease
        while True:
            await asyncio.sleep(max(0.0, min(lease / 3, expires - time.monotonic())))
            attempt_at = time.monotonic()
            if attempt_at >= expires:
                log.warning("job lease lapsed before it could be renewed", extra={"job_id": str(job.id)})
                return
            try:
                async with asyncio.timeout(expires - attempt_at):
                    async with self.db.session() as session, session.begin():
                        renewed = await repository.renew_lease(session, job, lease_seconds=lease)
            except Exception as exc:  # TimeoutError included: the loop decides whether time is up
                extra = {"job_id": str(job.id), "error": _describe(exc)}
                log.warning("job lease renewal failed", extra=extra)
                continue
            if not renewed:
                log.warning("job lease lost", extra={"job_id": str(job.id)})
                return
            expires = attempt_at + lease

    def _backoff(self, attempts: int) -> float:
        base, cap = self.settings.job_retry_base_seconds, self.settings.job_retry_max_seconds
        return float(min(cap, base * 2 ** max(0, attempts - 1)))

    async def _settle(self, job: ClaimedJob, kind: JobKind | None, outcome: Outcome) -> None:
        """Record the outcome and its events in one transaction, if this attempt still owns the job."""
        if outcome.succeeded or outcome.final:
            status = JobStatus.SUCCEEDED if outcome.succeeded else JobStatus.FAILED
            events = outcome.events
            if not outcome.succeeded and kind is not None:
                events = kind.failed(job.payload, outcome.error or "failed")
            payload = redact(job.payload, kind.secret_fields) if kind and outcome.succeeded else None
        else:
            status, events, payload = "retried", [], None
        async with self.db.session() as session, session.begin():
            if status == "retried":
                delay = self._backoff(job.attempts)
                owned = await repository.reschedule(
                    session, job, delay_seconds=delay, error=outcome.error or "failed"
                )
            else:
                owned = await repository.finish(
                    session, job, status=status, error=outcome.error, payload=payload
                )
            if not owned:
                log.warning("job taken over; this attempt's outcome dropped", extra={"job_id": str(job.id)})
                return
            for event in events:
                await add_event(session, event)
        JOBS.labels(job.type, status).inc()
        log.info("job %s", status, extra={"job_id": str(job.id), "type": job.type, "attempt": job.attempts})


class JobRunners:
    """The worker's runners, one pool per queue."""

    def __init__(
        self, db: Database, settings: WorkerSettings, storage: ObjectStorage, kinds: dict[str, JobKind]
    ) -> None:
        pools = {"mail": settings.mail_concurrency, "media": settings.media_concurrency}
        self.by_queue = {
            queue: JobRunner(db, settings, storage, kinds, queue=queue, concurrency=size)
            for queue, size in pools.items()
        }

    def start(self) -> None:
        for runner in self.by_queue.values():
            runner.start()

    async def stop(self, grace: float = 0.0) -> None:
        await asyncio.gather(*(runner.stop(grace) for runner in self.by_queue.values()))

    def wake(self, queue: str | None = None) -> None:
        for name, runner in self.by_queue.items():
            if queue is None or name == queue:
                runner.wake()

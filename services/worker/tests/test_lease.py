"""A runner that loses its lease stops: the job is cancelled and its non-repeatable step is fenced.

The fault is real: runner A reaches PostgreSQL through a loopback proxy that is cut once A has
claimed the job, so A can neither renew its lease nor record anything, while runner B (direct
connection) takes the job over when the lease lapses.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from common.db import Database
from common.events.schemas import PasswordResetRequested
from common_testing import TcpProxy, eventually
from worker_service.handlers import JOB_KINDS
from worker_service.jobs import repository
from worker_service.jobs.kinds import JobContext, JobKind, LeaseLost
from worker_service.jobs.runner import JobRunner
from worker_service.settings import WorkerSettings
from worker_service.state import state_of


def _slow(kind: JobKind, seconds: float) -> JobKind:
    """The real mail kind, preceded by ``seconds`` of work (the job outlives its 1 s lease)."""

    async def run(ctx: JobContext, payload: dict[str, Any]) -> list[Any]:
        await asyncio.sleep(seconds)
        return await kind.run(ctx, payload)

    return dataclasses.replace(kind, run=run)


def _reset(email: str) -> PasswordResetRequested:
    return PasswordResetRequested(
        user_id=uuid.uuid4(), email=email, username="lease", token="t0k3n", expires_at=datetime.now(UTC)
    )


async def test_a_runner_that_cannot_renew_its_lease_stops_and_the_mail_goes_out_once(
    client, app, emit, sql, job_for, sink, overrides
) -> None:
    settings = WorkerSettings(**{**overrides, "job_lease_seconds": 1})
    kinds = {**JOB_KINDS, "email.password_reset": _slow(JOB_KINDS["email.password_reset"], 3)}
    await state_of(app).job_runners.stop(grace=5)
    proxy = await TcpProxy("127.0.0.1", 5432).start()
    stalled_db = Database(proxy.url(overrides["database_url"]), pool_size=2)
    try:
        event_id = await emit(_reset("lease@example.com"))
        await job_for(event_id, "pending")

        first = JobRunner(stalled_db, settings, state_of(app).storage, kinds, queue="mail", concurrency=1)
        first_run = asyncio.create_task(first.run_once())

        async def claimed() -> bool:
            rows = await sql("SELECT status, attempts FROM jobs WHERE event_id = :e", e=event_id)
            return bool(rows == [{"status": "running", "attempts": 1}])

        await eventually(claimed)
        await proxy.cut()  # A's database is gone: no renewal, no fence, no outcome

        # B's own lease is a normal one: on a loaded machine a 1 s lease of B's could lapse as well,
        # and this test is about A, whose database is gone.
        steady = WorkerSettings(**{**overrides, "job_lease_seconds": 30})
        second = JobRunner(
            state_of(app).db, steady, state_of(app).storage, kinds, queue="mail", concurrency=1
        )
        assert await eventually(second.run_once, within=20)  # claims once A's lease lapsed, runs it

        with contextlib.suppress(Exception):  # before the fix A failed to record its (duplicate) send
            await asyncio.wait_for(first_run, timeout=20)
        done = await job_for(event_id, "succeeded")
        assert done["attempts"] == 2
        assert len(sink.to("lease@example.com")) == 1
    finally:
        await proxy.close()
        await stalled_db.dispose()
        state_of(app).job_runners.start()


async def test_the_fence_refuses_a_runner_whose_job_was_taken_over(client, app, overrides) -> None:
    """The check right before the SMTP hand-over: one statement, fenced on the attempt."""
    await state_of(app).job_runners.stop(grace=5)
    try:
        async with state_of(app).db.session() as session, session.begin():
            await repository.record_job(
                session, job_type="email.welcome", queue="mail", event_id=uuid.uuid4(), payload={}
            )
        runner = JobRunner(
            state_of(app).db,
            state_of(app).settings,
            state_of(app).storage,
            JOB_KINDS,
            queue="mail",
            concurrency=1,
        )
        async with state_of(app).db.session() as session, session.begin():
            stalled = await repository.claim_next(session, "mail", lease_seconds=0.01)
        assert stalled is not None
        await runner._fence(stalled)  # still the owner: passes (and renews the lease)
        async with state_of(app).db.session() as session, session.begin():
            await session.execute(text("UPDATE jobs SET lease_expires_at = now() - interval '1 s'"))
        async with state_of(app).db.session() as session, session.begin():
            successor = await repository.claim_next(session, "mail", lease_seconds=60)
        assert successor is not None
        assert successor.attempts == 2
        with pytest.raises(LeaseLost):
            await runner._fence(stalled)
        await runner._fence(successor)
    finally:
        state_of(app).job_runners.start()

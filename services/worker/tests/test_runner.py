"""The job runner's promises: a worker killed mid-job finishes the job exactly once after a restart."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from common.events.schemas import MediaUploaded, PasswordResetRequested
from common_testing import eventually
from worker_service.handlers import JOB_KINDS
from worker_service.jobs.runner import JobRunner
from worker_service.state import state_of


class StallingStorage:
    """The real storage, except that the worker 'dies' while writing its second result object."""

    def __init__(self, storage) -> None:
        self.storage = storage
        self.puts = 0
        self.stalled = asyncio.Event()

    async def get(self, key: str) -> bytes:
        data: bytes = await self.storage.get(key)
        return data

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.puts += 1
        if self.puts == 2:
            self.stalled.set()
            await asyncio.Event().wait()  # until the runner is killed
        await self.storage.put(key, data, content_type)

    async def delete(self, key: str) -> None:
        await self.storage.delete(key)

    async def exists(self, key: str) -> bool:
        found: bool = await self.storage.exists(key)
        return found


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 120, 40)).save(out, "JPEG")
    return out.getvalue()


async def test_a_worker_killed_mid_job_finishes_it_exactly_once_after_restart(
    client, app, emit, sql, published, job_for, overrides
) -> None:
    runners = state_of(app).job_runners
    await runners.stop(grace=5)  # the worker is down; events still become jobs
    try:
        media_id = uuid.uuid4()
        key = f"uploads/{media_id}/photo.jpg"
        await state_of(app).storage.put(key, photo(), "image/jpeg")
        event = MediaUploaded(
            media_id=media_id,
            post_id=uuid.uuid4(),
            owner_id=uuid.uuid4(),
            storage_key=key,
            content_type="image/jpeg",
            size=1,
        )
        event_id = await emit(event)
        await job_for(event_id, "pending")

        # A worker starts, claims the job, writes the thumbnail, and is killed before the original.
        stalling = StallingStorage(state_of(app).storage)
        doomed = JobRunner(
            state_of(app).db, state_of(app).settings, stalling, JOB_KINDS, queue="media", concurrency=1
        )
        doomed.start()
        await asyncio.wait_for(stalling.stalled.wait(), timeout=15)
        await doomed.stop()
        mid = await job_for(event_id, "running")
        assert mid["attempts"] == 1
        assert await published("worker.media.processed") == []
    finally:
        runners.start()  # the worker comes back

    done = await job_for(event_id, "succeeded", within=20)
    assert done["attempts"] == 2  # the lapsed lease was taken over once
    (processed,) = await published("worker.media.processed")
    assert processed["media_id"] == str(media_id)
    assert len(await published("worker.media.started")) == 1
    stored = sorted(p.name for p in (Path(overrides["media_dir"]) / "media" / str(media_id)).iterdir())
    assert stored == ["original.webp", "thumbnail.webp"]
    assert len(await sql("SELECT id FROM jobs WHERE event_id = :e", e=event_id)) == 1


async def test_a_job_the_worker_keeps_dying_on_is_given_up(client, app, sql, published) -> None:
    """Re-claimed past its attempt budget, a job is failed instead of crashing the worker again."""
    media_id, post_id = uuid.uuid4(), uuid.uuid4()
    payload = MediaUploaded(
        media_id=media_id,
        post_id=post_id,
        owner_id=uuid.uuid4(),
        storage_key="uploads/x",
        content_type="image/png",
        size=1,
    ).model_dump(mode="json")
    async with state_of(app).db.session() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO jobs (id, type, queue, status, attempts, payload, lease_expires_at) VALUES"
                " (:i, 'media.process', 'media', 'running', 3, CAST(:p AS jsonb), now() - interval '1 s')"
            ),
            {"i": uuid.uuid4(), "p": json.dumps(payload)},
        )
    state_of(app).job_runners.wake("media")

    async def given_up():
        rows = await sql("SELECT status, last_error FROM jobs WHERE status = 'failed'")
        return rows[0] if rows else None

    row = await eventually(given_up)
    assert "worker stopped during each of 3 attempts" in row["last_error"]
    (failed,) = await published("worker.media.failed")
    assert failed["media_id"] == str(media_id)


async def test_job_metrics_are_exported(client, app, emit, job_for) -> None:

    event_id = await emit(
        PasswordResetRequested(
            user_id=uuid.uuid4(),
            email="m@example.com",
            username="m",
            token="t",
            expires_at=datetime.now(UTC),
        )
    )
    await job_for(event_id, "succeeded")
    families = {f.name: f for f in text_string_to_metric_families((await client.get("/metrics")).text)}
    jobs = {(s.labels["type"], s.labels["status"]): s.value for s in families["jobs"].samples}
    assert jobs[("email.password_reset", "succeeded")] >= 1
    durations = [s for s in families["job_duration_seconds"].samples if s.name.endswith("_count")]
    assert any(s.labels == {"type": "email.password_reset"} and s.value >= 1 for s in durations)


async def test_a_media_backlog_does_not_delay_mail(client, app, emit, job_for, sql, sink) -> None:
    media_runner = state_of(app).job_runners.by_queue["media"]
    await media_runner.stop(grace=5)  # media is stuck (slow, or down)
    try:
        upload = await emit(
            MediaUploaded(
                media_id=uuid.uuid4(),
                post_id=uuid.uuid4(),
                owner_id=uuid.uuid4(),
                storage_key="uploads/never",
                content_type="image/png",
                size=1,
            )
        )
        reset = await emit(
            PasswordResetRequested(
                user_id=uuid.uuid4(),
                email="urgent@example.com",
                username="u",
                token="t",
                expires_at=datetime.now(UTC),
            )
        )
        await job_for(reset, "succeeded")
        assert len(sink.to("urgent@example.com")) == 1
        assert (await job_for(upload, "pending"))["attempts"] == 0
    finally:
        media_runner.start()


async def test_the_worker_reports_health(client) -> None:
    assert (await client.get("/health/live")).status_code == 200
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "redis": "ok", "rabbitmq": "ok"}


async def test_a_runner_whose_lease_was_taken_over_cannot_record_an_outcome(client, app, sql) -> None:
    from worker_service.jobs import repository

    await state_of(app).job_runners.stop(grace=5)
    try:
        async with state_of(app).db.session() as session, session.begin():
            await repository.record_job(
                session, job_type="email.welcome", queue="mail", event_id=uuid.uuid4(), payload={}
            )
        async with state_of(app).db.session() as session, session.begin():
            stalled = await repository.claim_next(session, "mail", lease_seconds=0.01)
        await asyncio.sleep(0.05)  # the stalled runner misses its heartbeat; its lease lapses
        async with state_of(app).db.session() as session, session.begin():
            successor = await repository.claim_next(session, "mail", lease_seconds=60)
        assert stalled is not None
        assert successor is not None
        assert (stalled.id, stalled.attempts, successor.attempts) == (successor.id, 1, 2)
        async with state_of(app).db.session() as session, session.begin():
            assert not await repository.finish(session, stalled, status="succeeded")
            assert not await repository.renew_lease(session, stalled, lease_seconds=60)
            assert await repository.finish(session, successor, status="succeeded")
        (row,) = await sql("SELECT status, attempts FROM jobs")
        assert row == {"status": "succeeded", "attempts": 2}
    finally:
        state_of(app).job_runners.start()

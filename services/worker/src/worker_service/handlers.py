"""Events the worker consumes; each becomes a recorded job."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Envelope
from common.events.schemas import (
    EmailVerificationRequested,
    MediaUploaded,
    PasswordResetRequested,
    UserRegistered,
)
from worker_service.models import Job, JobStatus, utcnow

__all__ = ["MAIL_HANDLERS", "MEDIA_HANDLERS"]


def _job_recorder(job_type: str):  # type: ignore[no-untyped-def]
    async def record(session: AsyncSession, event: Envelope) -> None:
        now = utcnow()
        session.add(
            Job(type=job_type, status=JobStatus.SUCCEEDED, event_id=event.id, attempts=1, finished_at=now)
        )

    return record


MAIL_HANDLERS = {
    UserRegistered.TYPE: _job_recorder("email.welcome"),
    PasswordResetRequested.TYPE: _job_recorder("email.password_reset"),
    EmailVerificationRequested.TYPE: _job_recorder("email.verification"),
}
MEDIA_HANDLERS = {MediaUploaded.TYPE: _job_recorder("media.process")}

"""Events the worker consumes; each becomes a pending job row, nothing more.

The consumer records the row and its inbox entry in one transaction, so a redelivered event never
makes a second job; the work itself happens later in a runner (``jobs/runner.py``), which can crash and
be replaced without losing or repeating an outcome.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Envelope, Event, Handler
from common.events.schemas import (
    EmailVerificationRequested,
    MediaUploaded,
    PasswordResetRequested,
    UserRegistered,
)
from worker_service.jobs import repository
from worker_service.jobs.kinds import JobKind
from worker_service.mail.service import MAIL_KINDS
from worker_service.media.service import MEDIA_KIND

__all__ = ["JOB_KINDS", "MAIL_HANDLERS", "MEDIA_HANDLERS"]

JOB_KINDS: dict[str, JobKind] = {kind.type: kind for kind in (*MAIL_KINDS, MEDIA_KIND)}


def _job_recorder(event_model: type[Event], job_type: str) -> Handler:
    queue = JOB_KINDS[job_type].queue

    async def record(session: AsyncSession, event: Envelope) -> None:
        # Parse now: a malformed event fails here (and is retried, then dead-lettered), not in a job.
        data = event.parse(event_model).model_dump(mode="json")
        await repository.record_job(session, job_type=job_type, queue=queue, event_id=event.id, payload=data)

    return record


MAIL_HANDLERS: dict[str, Handler] = {
    UserRegistered.TYPE: _job_recorder(UserRegistered, "email.welcome"),
    PasswordResetRequested.TYPE: _job_recorder(PasswordResetRequested, "email.password_reset"),
    EmailVerificationRequested.TYPE: _job_recorder(EmailVerificationRequested, "email.verification"),
}
MEDIA_HANDLERS: dict[str, Handler] = {MediaUploaded.TYPE: _job_recorder(MediaUploaded, "media.process")}

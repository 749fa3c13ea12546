"""Events the worker consumes; each becomes a pending job row, nothing more.

The consumer records the row and its inbox entry in one transaction, so a redelivered event never
makes a second job; the work itself happens later in a runner (``jobs/runner.py``), which can crash and
be replaced without losing or repeating an outcome.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.events import Envelope, Event, Handler, Handlers
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

__all__ = ["JOB_KINDS", "mail_handlers", "media_handlers"]

JOB_KINDS: dict[str, JobKind] = {kind.type: kind for kind in (*MAIL_KINDS, MEDIA_KIND)}


def _job_recorder(event_model: type[Event], job_type: str) -> Handler:
    queue = JOB_KINDS[job_type].queue

    async def record(session: AsyncSession, event: Envelope) -> None:
        # Parse now: a malformed event fails here (and is retried, then dead-lettered), not in a job.
        data = event.parse(event_model).model_dump(mode="json")
        await repository.record_job(session, job_type=job_type, queue=queue, event_id=event.id, payload=data)

    return record


# Two subscriptions, so slow media work never delays e-mail.
mail_handlers = Handlers("worker-mail")
mail_handlers.on(UserRegistered)(_job_recorder(UserRegistered, "email.welcome"))
mail_handlers.on(PasswordResetRequested)(_job_recorder(PasswordResetRequested, "email.password_reset"))
mail_handlers.on(EmailVerificationRequested)(_job_recorder(EmailVerificationRequested, "email.verification"))

media_handlers = Handlers("worker-media")
media_handlers.on(MediaUploaded)(_job_recorder(MediaUploaded, "media.process"))

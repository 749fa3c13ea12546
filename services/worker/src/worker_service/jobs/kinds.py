"""What a job kind is: the work it does, the events it reports, and how it fails.

A kind's ``run`` does the effect and returns the events that report success; the runner writes
them to the outbox in the same transaction that marks the job succeeded, so an outcome is
published exactly once however often the effect had to be attempted. ``run`` must therefore be
safe to repeat (deterministic storage keys, overwrite instead of append).

``JobRejected`` means retrying cannot help (a bad image, a refused recipient): the job fails at
once. Any other exception is retried with exponential back-off until ``job_max_attempts``; then the
job is marked failed and ``failed`` tells which event reports it.

A step that must not be repeated by two runners at once (the SMTP hand-over, a storage write) first
awaits ``ctx.fence()``: one fenced statement that renews the lease only if this attempt still owns
the job, and raises ``LeaseLost`` (the step is skipped) if another runner took it over.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from common.events import Event
from common.storage import ObjectStorage
from worker_service.settings import WorkerSettings

__all__ = ["JobContext", "JobKind", "JobRejected", "LeaseLost", "redact"]


class JobRejected(Exception):
    """The job can never succeed; ``reason`` is recorded and published."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LeaseLost(Exception):
    """This attempt no longer owns its job (its lease lapsed and another runner claimed it)."""


@dataclass(frozen=True, slots=True)
class JobContext:
    job_id: uuid.UUID
    attempt: int
    settings: WorkerSettings
    storage: ObjectStorage
    #: Await right before a non-repeatable step: renews the lease if this attempt still owns the
    #: job (one fenced statement), else raises ``LeaseLost``.
    fence: Callable[[], Awaitable[None]]


Run = Callable[[JobContext, dict[str, Any]], Awaitable[list[Event]]]
Report = Callable[[dict[str, Any], str], list[Event]]
Announce = Callable[[dict[str, Any]], list[Event]]


def _nothing(_: dict[str, Any]) -> list[Event]:
    return []


@dataclass(frozen=True, slots=True)
class JobKind:
    type: str
    #: ``mail`` or ``media``: each queue has its own runners, so slow media never delays mail.
    queue: str
    run: Run
    #: Events that report a job given up on, given its payload and the reason.
    failed: Report
    #: Events published when the job is first claimed (e.g. "processing started").
    started: Announce = _nothing
    #: Payload fields blanked once the job succeeded (one-time tokens need not outlive their e-mail).
    secret_fields: tuple[str, ...] = field(default=())


def redact(payload: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    return {key: ("[redacted]" if key in fields and value else value) for key, value in payload.items()}

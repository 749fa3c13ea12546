"""What the worker process keeps for its lifetime, typed: built once by ``main.setup``, read by
routes through ``State`` and by tests and tools through :func:`state_of`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from common.state import ServiceState, get_state, typed_state_of
from common.storage import ObjectStorage
from worker_service.jobs.runner import JobRunners
from worker_service.jobs.scheduler import Scheduler
from worker_service.retention.service import JobPruner
from worker_service.settings import WorkerSettings

__all__ = ["State", "WorkerState", "state_of"]


@dataclass(kw_only=True, eq=False)
class WorkerState(ServiceState):
    settings: WorkerSettings
    #: Where uploads are read and processed media written (local directory or S3).
    storage: ObjectStorage
    #: One pool of runners per queue (mail, media).
    job_runners: JobRunners
    #: Fires the recurring schedules (token cleanup).
    scheduler: Scheduler
    #: Deletes finished jobs past retention.
    job_pruner: JobPruner


#: A route's handle on the state.
State = Annotated[WorkerState, Depends(get_state)]


#: The state of a started app, typed (``common.state.state_of`` knows only the base), for tests and tools.
state_of = typed_state_of(WorkerState)

"""What the worker's routes need, declared once: the operator check and a session come from common,
and everything process-wide (the job runners, storage, settings) through ``State``."""

from __future__ import annotations

from common import AdminUser, SessionDep
from worker_service.state import State

__all__ = ["AdminUser", "SessionDep", "State"]

"""What every service shares. Services import from here; modules not listed are internal."""

from common.app import Runtime, create_service_app
from common.db import Database, SessionDep, asyncpg_dsn
from common.errors import (
    BadRequest,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMedia,
)
from common.identity import AdminUser, CurrentUser, OptionalUser, Principal, TokenVerifier
from common.logging import request_id_var
from common.settings import Environment, ServiceSettings

__all__ = [
    "AdminUser",
    "BadRequest",
    "Conflict",
    "CurrentUser",
    "Database",
    "DomainError",
    "Environment",
    "Forbidden",
    "NotFound",
    "OptionalUser",
    "PayloadTooLarge",
    "Principal",
    "Runtime",
    "ServiceSettings",
    "ServiceUnavailable",
    "SessionDep",
    "TokenVerifier",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMedia",
    "asyncpg_dsn",
    "create_service_app",
    "request_id_var",
]

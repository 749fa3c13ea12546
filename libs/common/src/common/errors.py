"""One error model for every service.

Exception hierarchy::

    DomainError (status 400)
    ├── BadRequest          400
    ├── Unauthorized        401  (adds WWW-Authenticate: Bearer)
    ├── Forbidden           403
    ├── NotFound            404
    ├── Conflict            409
    ├── PayloadTooLarge     413
    ├── UnsupportedMedia    415
    ├── TooManyRequests     429  (adds Retry-After)
    └── ServiceUnavailable  503  (adds Retry-After)

Services raise these below the router; one handler renders every error as ``{"detail": ...}``.
A body the route cannot read because of its Content-Type (JSON sent as ``text/plain`` or as a form,
or JSON sent to a form route) is a 415 that says which type the route takes, not a 422.
A dependency that does not answer (PostgreSQL refusing connections or out of them, a pool that
stays empty, a statement cut off by its timeout, Redis unreachable) is a 503 with ``Retry-After``:
the client did nothing wrong and may retry. Anything else unexpected becomes a logged 500 with a
body that leaks nothing.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import asyncpg
import redis.exceptions
from fastapi import FastAPI, Request, params
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "JSON_ALTERNATIVE",
    "BadRequest",
    "Conflict",
    "DomainError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMedia",
    "dependency_down",
    "install_error_handlers",
    "render_exception",
]

log = logging.getLogger("common.errors")


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    default_detail: ClassVar[str] = "Bad request"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        super().__init__(self.detail)


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status_code = 401
    default_detail = "Not authenticated"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer", **(headers or {})})


class Forbidden(DomainError):
    status_code = 403
    default_detail = "Not allowed"


class NotFound(DomainError):
    status_code = 404
    default_detail = "Not found"


class Conflict(DomainError):
    status_code = 409
    default_detail = "Conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    default_detail = "Payload too large"


class UnsupportedMedia(DomainError):
    status_code = 415
    default_detail = "Unsupported media type"


class TooManyRequests(DomainError):
    status_code = 429
    default_detail = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class ServiceUnavailable(DomainError):
    """A dependency did not answer: the client did nothing wrong and may retry (``Retry-After``)."""

    status_code = 503
    default_detail = "Service unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


def _render(status: int, detail: Any, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return _render(exc.status_code, exc.detail, exc.headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _render(exc.status_code, exc.detail, dict(exc.headers or {}))


#: A form route may name the route that takes the same data as JSON, in its ``openapi_extra``; a JSON
#: body sent to the form route then gets a 415 that points there (auth's ``/login`` → ``/login/json``).
JSON_ALTERNATIVE = "x-json-alternative"


def _body_kind(request: Request) -> str | None:
    """``"form"`` (form fields or files), ``"json"``, or ``None`` for a route that takes no body."""
    field = getattr(request.scope.get("route"), "body_field", None)
    if field is None:
        return None
    return "form" if isinstance(field.field_info, params.Form) else "json"  # File is a Form


def _wrong_media_type(request: Request, exc: RequestValidationError) -> str | None:
    """Why the body could not be read, when the cause is its Content-Type rather than its content."""
    if not any(tuple(e.get("loc", ()))[:1] == ("body",) for e in exc.errors()):
        return None
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not media_type:  # no body at all is a "Field required", as before
        return None
    is_json = media_type == "application/json" or media_type.endswith("+json")
    kind = _body_kind(request)
    if kind == "json" and not is_json:
        return f"This route takes a JSON body: send it with Content-Type: application/json, not {media_type}"
    if kind == "form" and media_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        detail = f"This route takes a form (application/x-www-form-urlencoded), not {media_type}"
        alternative = (getattr(request.scope.get("route"), "openapi_extra", None) or {}).get(JSON_ALTERNATIVE)
        return f"{detail}; for a JSON body use {alternative}" if alternative and is_json else detail
    return None


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    wrong_type = _wrong_media_type(request, exc)
    if wrong_type is not None:
        return _render(415, wrong_type)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return _render(422, errors)


#: Causes that mean "a dependency is not answering", not "this request is wrong" or "our bug".
_UNAVAILABLE_CAUSES: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.QueryCanceledError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,  # admin or crash shutdown: the server is restarting
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    sa_exc.TimeoutError,
)


def _dependency_down(exc: BaseException) -> bool:
    """Whether ``exc``, or anything in its cause chain, says a backing service is not answering."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, _UNAVAILABLE_CAUSES):
            return True
        if isinstance(seen, sa_exc.DBAPIError) and seen.connection_invalidated:
            return True
        orig = getattr(seen, "orig", None)
        seen = orig if isinstance(orig, BaseException) else (seen.__cause__ or seen.__context__)
    return False


def dependency_down(exc: BaseException) -> bool:
    """Whether ``exc`` (or its cause chain) says the database or Redis is not answering.

    What the event consumer asks before counting a failure as an attempt (``common.events.consumer``).
    """
    return _dependency_down(exc)


#: Errors of the database, Redis and sockets: answered by ``_infrastructure_error`` (503 or 500).
_INFRASTRUCTURE: tuple[type[Exception], ...] = (sa_exc.SQLAlchemyError, redis.exceptions.RedisError, OSError)


async def _infrastructure_error(request: Request, exc: Exception) -> JSONResponse:
    """Database, Redis and socket errors: registered by class so they are answered, not re-raised."""
    if _dependency_down(exc):
        log.warning("dependency unavailable", extra={"error": repr(exc)[:300]})
        return _render(
            503,
            "Service temporarily unavailable: a backing service is not answering; retry shortly",
            {"Retry-After": "1"},
        )
    return await _unexpected(request, exc)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return _render(500, "Internal server error")


async def render_exception(request: Request, exc: Exception) -> JSONResponse:
    """The answer the installed handlers give for ``exc``, for code that runs outside FastAPI's stack."""
    if isinstance(exc, DomainError):
        return await _domain_error(request, exc)
    if isinstance(exc, _INFRASTRUCTURE):
        return await _infrastructure_error(request, exc)
    return await _unexpected(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for infrastructure in _INFRASTRUCTURE:
        app.add_exception_handler(infrastructure, _infrastructure_error)
    app.add_exception_handler(Exception, _unexpected)

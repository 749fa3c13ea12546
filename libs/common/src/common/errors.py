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
    ├── PreconditionFailed  412  (If-Match does not match)
    ├── PreconditionRequired 428 (If-Match required but absent)
    ├── Unprocessable       422  (a well-formed request whose content cannot be used)
    ├── TooManyRequests     429  (adds Retry-After)
    └── ServiceUnavailable  503  (adds Retry-After)

Services raise these below the router; one handler renders every error as an RFC 9457 problem
(``application/problem+json``, see ``common.problems``): ``type`` from the class's ``kind``, the
message as ``detail``, the request id as ``instance``, and the error's ``extensions`` beside them.
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
from fastapi.responses import Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.problems import REQUEST_ID_SCOPE_KEY, problem

__all__ = [
    "JSON_ALTERNATIVE",
    "BadRequest",
    "Conflict",
    "DomainError",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "PreconditionFailed",
    "PreconditionRequired",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "Unprocessable",
    "UnsupportedMedia",
    "dependency_down",
    "install_error_handlers",
    "render_exception",
]

log = logging.getLogger("common.errors")


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    default_detail: ClassVar[str] = "Bad request"
    #: The problem type (a name in ``common.problems.KINDS``); ``None``: the usual one of the status.
    kind: ClassVar[str | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.headers = headers or {}
        #: Members of the problem beside the standard ones, for what a client acts on.
        self.extensions = extensions or {}
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


class PreconditionFailed(DomainError):
    status_code = 412
    default_detail = "The resource changed since you read it (If-Match does not match); read it again"


class PreconditionRequired(DomainError):
    status_code = 428
    default_detail = "This request must be conditional: send If-Match with the ETag you read"


class Unprocessable(DomainError):
    """422 for a well-formed request whose content cannot be used (not a field's validation)."""

    status_code = 422
    default_detail = "Unprocessable content"
    kind = "unprocessable-content"


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


async def _domain_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem(exc.status_code, exc.detail, kind=exc.kind, headers=exc.headers, **exc.extensions)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))


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


def _validation_detail(errors: list[dict[str, Any]]) -> str:
    """One line a person can read: the first problem and how many more (``errors`` has them all)."""
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"Invalid request: {where + ': ' if where else ''}{first['msg']}{more}"


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    wrong_type = _wrong_media_type(request, exc)
    if wrong_type is not None:
        return problem(415, wrong_type)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ] or [{"loc": [], "msg": "invalid request", "type": "value_error"}]
    return problem(422, _validation_detail(errors), kind="validation-error", errors=errors)


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


async def _infrastructure_error(request: Request, exc: Exception) -> Response:
    """Database, Redis and socket errors: registered by class so they are answered, not re-raised."""
    if _dependency_down(exc):
        log.warning("dependency unavailable", extra={"error": repr(exc)[:300]})
        return problem(
            503,
            "Service temporarily unavailable: a backing service is not answering; retry shortly",
            headers={"Retry-After": "1"},
        )
    return await _unexpected(request, exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    # Answered outside the observability middleware (Starlette's outermost layer), whose request id
    # is kept in the scope for this.
    return problem(500, "Internal server error", instance=request.scope.get(REQUEST_ID_SCOPE_KEY))


async def render_exception(request: Request, exc: Exception) -> Response:
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

"""Documented error answers, so every status a route can give is in its OpenAPI ``responses``.

    router = APIRouter(prefix="/api/v1/posts", responses=error_responses(401, 429))

    @router.get("/{post_id}", responses=error_responses((404, "No such post, or a draft of someone else")))

Each entry carries the body every error has, an RFC 9457 problem (:class:`Problem`, media type
``application/problem+json``, ``common.problems``); 429 also documents ``Retry-After``. Validation
errors (422) are documented by FastAPI itself, and :func:`install_problem_documents` rewrites every
error answer of the document (FastAPI's own 422 included) to the problem schema; pass 422 here only
for a route that also answers 422 with a message, or whose parameters FastAPI does not see.

:func:`operation_id` names every operation ``<tag>-<name>`` (``posts-create``), which is what a
generated client calls its functions (``create_service_app`` passes it to FastAPI).

:func:`link` writes an OpenAPI link (what a client, or a stateful fuzzer, may call next with a value
from this response), pointing at the target operation by path and method.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.utils import generate_unique_id
from pydantic import BaseModel, ConfigDict, Field

from common.problems import PROBLEM_MEDIA_TYPE

__all__ = [
    "Problem",
    "error_responses",
    "install_problem_documents",
    "link",
    "operation_id",
    "problem_details",
    "with_gateway_answers",
]


class ValidationIssue(BaseModel):
    loc: list[str | int] = Field(description="where: body, query, path or header, then the field")
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details: what every error answer carries (``docs/errors.md``)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="the kind of error, a stable URI (docs/errors.md lists them)")
    title: str = Field(description="the kind's short summary")
    status: int = Field(description="the HTTP status code")
    detail: str = Field(description="what went wrong this time, for a person to read")
    instance: str | None = Field(None, description="the request id (X-Request-ID), to quote")
    errors: list[ValidationIssue] | None = Field(
        None, description="422 validation errors: each problem with its location"
    )
    retry_after: int | None = Field(None, description="seconds to wait before retrying (429, 503)")
    min_client_version: str | None = Field(None, description="426: the oldest client version served")


#: What each status means wherever it is answered; a route may pass its own wording instead.
DESCRIPTIONS: dict[int, str] = {
    400: "The request is malformed: a body that cannot be parsed, a bad cursor or a bad combination",
    401: "No valid access token (missing, malformed, expired or signed out); see WWW-Authenticate",
    403: "Signed in, but not allowed to do this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state",
    413: "The body is over the limit (at the gateway: 1 MiB for JSON, 10 MiB for media uploads)",
    415: "Unsupported media type",
    422: "Validation error",
    429: "Over a rate limit; retry after Retry-After seconds",
    503: "A dependency is unavailable; retry shortly",
}

_RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "integer"}}
}


def error_responses(*codes: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these statuses: ``401`` or ``(404, "No such post")``."""
    responses: dict[int | str, dict[str, Any]] = {}
    for entry in codes:
        code, description = entry if isinstance(entry, tuple) else (entry, DESCRIPTIONS[entry])
        responses[code] = {"model": Problem, "description": description}
        if code == 429:
            responses[code]["headers"] = _RETRY_AFTER
    return responses


def link(method: str, path: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to ``method path``; ``parameters`` map its parameters to runtime expressions
    such as ``$response.body#/id`` or ``$request.path.post_id``."""
    pointer = quote(path.replace("~", "~0").replace("/", "~1"), safe="~")
    return {
        "operationRef": f"#/paths/{pointer}/{method.lower()}",
        "description": description,
        "parameters": parameters,
    }


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ERROR_BODY_REF = {"content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM_REF}}}
#: What the gateway's forwardAuth check may answer for any routed operation, before the service sees it.
_GATEWAY_ANSWERS: dict[str, dict[str, Any]] = {
    "400": {
        "description": "The request is malformed; at the gateway: an X-Client-Version header that is "
        "not a semantic version",
        **_ERROR_BODY_REF,
    },
    "426": {
        "description": "At the gateway: the X-Client-Version header is below the minimum this "
        "deployment serves; upgrade the client",
        "headers": {
            "X-Min-Client-Version": {
                "description": "the oldest client version served",
                "schema": {"type": "string"},
            }
        },
        **_ERROR_BODY_REF,
    },
}
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})


#: What an operation with a request body answers to a body of another Content-Type (common.errors).
_WRONG_MEDIA_TYPE: dict[str, Any] = {
    "description": "The body was sent with a Content-Type this operation does not take (see the detail)",
    **_ERROR_BODY_REF,
}


def _answers(operation: dict[str, Any]) -> dict[str, Any]:
    body = {"415": _WRONG_MEDIA_TYPE} if "requestBody" in operation else {}
    return {**_GATEWAY_ANSWERS, **body, **operation.get("responses", {})}


def with_gateway_answers(paths: dict[str, Any]) -> dict[str, Any]:
    """``paths`` with the gateway's own answers (400 and 426 for ``X-Client-Version``) documented on
    every operation that lacks them: a client calls the services through the gateway, so these are
    answers it can get from any route (401 and 429 are documented by the services' routers). An
    operation with a request body also gets the 415 for a body of the wrong Content-Type."""
    documented: dict[str, Any] = {}
    for path, item in paths.items():
        documented[path] = {
            method: (
                {**operation, "responses": _answers(operation)}
                if method in _METHODS and isinstance(operation, dict)
                else operation
            )
            for method, operation in item.items()
        }
    return documented


#: FastAPI's own validation error schemas, replaced by ``Problem`` wherever they were used.
_FASTAPI_ERROR_SCHEMAS = ("HTTPValidationError", "ValidationError")


def problem_details(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every 4xx/5xx answer declared as ``application/problem+json`` ``Problem``
    (in place; running it twice changes nothing)."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in _METHODS or not isinstance(operation, dict):
                continue
            for code, response in operation.get("responses", {}).items():
                if str(code)[:1] in ("4", "5") and isinstance(response, dict):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": dict(_PROBLEM_REF)}}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in _FASTAPI_ERROR_SCHEMAS:
        schemas.pop(name, None)
    schemas.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
    for name, schema in (
        Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items()
    ):
        schemas.setdefault(name, schema)
    schemas["Problem"].pop("$defs", None)
    return document


def install_problem_documents(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare every error answer as a problem (see :func:`problem_details`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        return problem_details(generate())

    app.openapi = openapi  # type: ignore[method-assign]


_OPERATION_ID = re.compile(r"^[a-z]+-[a-z0-9-]+$")


def operation_id(route: APIRoute) -> str:
    """``<tag>-<name>``: the route's first tag, then its name (the function's, or ``name=``) with the
    tag's words left out, in kebab case: ``create_post`` tagged ``posts`` is ``posts-create``.

    What generated clients call the operation (FastAPI's own ids, ``create_post_api_v1_posts_post``,
    repeat the path). A route without a tag, or whose name is only its tag (``vote`` in ``votes``),
    is refused when the document is built: give it ``name=``. Routes left out of the document (health,
    metrics, internal) keep FastAPI's ids.
    """
    if not route.include_in_schema:
        return generate_unique_id(route)
    if not route.tags:
        raise ValueError(f"{route.path}: an operation needs a tag to be named <tag>-<name>")
    tag = str(route.tags[0])
    own = {tag, tag.removesuffix("s")}
    words = [word for word in route.name.lower().split("_") if word and word not in own]
    identifier = f"{tag}-{'-'.join(words)}"
    if not words or not _OPERATION_ID.match(identifier):
        raise ValueError(f"{route.path}: {route.name!r} gives no operation id of the form <tag>-<name>")
    return identifier

"""RFC 9457 problem details: the one shape of every error, from every service and from the edge.

An error answers ``Content-Type: application/problem+json`` with::

    {"type": "tag:social-posts,2026:problems/not-found", "title": "Not Found", "status": 404,
     "detail": "No such post", "instance": "<the request id>"}

``type`` names the kind of error (one per entry of :data:`KINDS`, listed in ``docs/errors.md``) and
never changes; ``title`` is the kind's short summary; ``detail`` is the human message of this
occurrence (what ``{"detail": ...}`` said before, so clients that read it go on working);
``instance`` is the request id (the ``X-Request-ID`` of the response), what to quote in a bug
report. Extension members carry what a client acts on: ``errors`` (422 validation: each problem with
its location), ``retry_after`` (seconds, with ``Retry-After``), ``min_client_version`` (426).

The types are ``tag:`` URIs (RFC 4151), which RFC 9457 allows for types that are not meant to be
fetched: they stay the same whoever hosts the API and whatever the docs' address becomes.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

from common.logging import request_id_var

__all__ = [
    "KINDS",
    "PROBLEM_MEDIA_TYPE",
    "PROBLEM_TYPE_BASE",
    "REQUEST_ID_SCOPE_KEY",
    "Kind",
    "ProblemResponse",
    "kind_for_status",
    "problem",
    "problem_body",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Where ``common.middleware.ObservabilityMiddleware`` leaves the request id in the ASGI scope.
REQUEST_ID_SCOPE_KEY = "common.request_id"
PROBLEM_TYPE_BASE = "tag:social-posts,2026:problems/"


@dataclass(frozen=True, slots=True)
class Kind:
    status: int
    title: str


#: Every kind of error the API answers (the last segment of ``type``); ``docs/errors.md`` lists them.
KINDS: dict[str, Kind] = {
    "bad-request": Kind(400, "Bad Request"),
    "bad-idempotency-key": Kind(400, "Bad Idempotency-Key"),
    "unauthorized": Kind(401, "Unauthorized"),
    "forbidden": Kind(403, "Forbidden"),
    "not-found": Kind(404, "Not Found"),
    "method-not-allowed": Kind(405, "Method Not Allowed"),
    "conflict": Kind(409, "Conflict"),
    "idempotency-key-in-use": Kind(409, "Idempotency-Key In Use"),
    "precondition-failed": Kind(412, "Precondition Failed"),
    "payload-too-large": Kind(413, "Payload Too Large"),
    "unsupported-media-type": Kind(415, "Unsupported Media Type"),
    "validation-error": Kind(422, "Validation Error"),
    "unprocessable-content": Kind(422, "Unprocessable Content"),
    "idempotency-key-reused": Kind(422, "Idempotency-Key Reused"),
    "upgrade-required": Kind(426, "Upgrade Required"),
    "precondition-required": Kind(428, "Precondition Required"),
    "too-many-requests": Kind(429, "Too Many Requests"),
    "internal-error": Kind(500, "Internal Server Error"),
    "bad-gateway": Kind(502, "Bad Gateway"),
    "service-unavailable": Kind(503, "Service Unavailable"),
    "gateway-timeout": Kind(504, "Gateway Timeout"),
}

#: The kind an error of this status is when nothing more specific is known (Starlette's own 404/405).
_BY_STATUS: dict[int, str] = {}
for _name, _kind in KINDS.items():
    _BY_STATUS.setdefault(_kind.status, _name)


def kind_for_status(status: int) -> str | None:
    return _BY_STATUS.get(status)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_body(
    status: int, detail: str, kind: str | None = None, *, instance: str | None = None, **extensions: Any
) -> dict[str, Any]:
    """The body of a problem; ``kind`` defaults to the usual kind of ``status``, ``instance`` to the
    request id of the request being answered."""
    name = kind or kind_for_status(status)
    if name is None:  # a status no kind covers: RFC 9457's "no more than the status code"
        type_, title = "about:blank", _phrase(status)
    else:
        type_, title = PROBLEM_TYPE_BASE + name, KINDS[name].title
    body: dict[str, Any] = {"type": type_, "title": title, "status": status, "detail": detail}
    instance = instance or request_id_var.get()
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extensions.items() if v is not None})
    return body


def problem(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    instance: str | None = None,
    **extensions: Any,
) -> ProblemResponse:
    """An ``application/problem+json`` response; a ``Retry-After`` header is echoed as ``retry_after``."""
    headers = dict(headers or {})
    retry_after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if retry_after is not None and retry_after.isdigit():
        extensions.setdefault("retry_after", int(retry_after))
    body = problem_body(status, detail, kind, instance=instance, **extensions)
    return ProblemResponse(body, status, headers=headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"

"""The bodies of the errors the gateway itself makes, so a client parses one error shape everywhere.

Traefik answers some requests without any service: no router matches (404), a JSON body over the
edge limit (413), the per-address flood limit (429), a service it cannot reach or that does not
answer in time (502, 504), auth unreachable while checking a token (503). Its own bodies are plain
text, so the routing table sends each of those to ``GET /internal/edge-errors/<kind>`` through
Traefik's ``errors`` middleware (and a catch-all router for 404), and every service serves these
pages: whichever is up answers, and the page is a problem (``application/problem+json``,
``common.problems``) like every other error.

The ``errors`` middleware keeps the status of the response it replaced; each page answers with the
same status anyway, so a page fetched by hand reads the same. The observability middleware adds
``X-Request-ID``; the gateway's own middlewares add the security and CORS headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter
from fastapi.responses import Response

from common.problems import problem

__all__ = ["EDGE_ERRORS", "EDGE_ERRORS_PREFIX", "EdgeError", "edge_errors_router"]

#: Not routed by the gateway's public routers (like every ``/internal`` path); only its middlewares ask.
EDGE_ERRORS_PREFIX = "/internal/edge-errors"


@dataclass(frozen=True)
class EdgeError:
    status: int
    detail: str
    retry_after: int | None = None
    #: The problem type (``common.problems.KINDS``); ``None``: the usual one of the status.
    kind: str | None = None


#: One page per kind of error the gateway makes (the path segment after ``EDGE_ERRORS_PREFIX``).
EDGE_ERRORS: dict[str, EdgeError] = {
    "404": EdgeError(404, "Not Found: no API route matches this path (every route is under /api/v1)"),
    "413": EdgeError(413, "Request body too large: the gateway accepts at most 1 MiB on this route"),
    "429": EdgeError(429, "Too many requests from your address; slow down and retry", retry_after=1),
    "502": EdgeError(502, "The service for this route cannot be reached; retry shortly", retry_after=5),
    "503": EdgeError(503, "The service for this route is unavailable; retry shortly", retry_after=5),
    "504": EdgeError(504, "The service for this route did not answer in time; retry shortly"),
    "auth-unavailable": EdgeError(
        503, "Cannot check your credentials right now; retry shortly", retry_after=5
    ),
}


def edge_errors_router() -> APIRouter:
    router = APIRouter(prefix=EDGE_ERRORS_PREFIX, include_in_schema=False)

    # Any method: the catch-all router rewrites the path of whatever request no router took.
    @router.api_route("/{kind}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    async def edge_error(kind: str) -> Response:
        """The body of an error the gateway made (unknown kinds read as a plain 404)."""
        error = EDGE_ERRORS.get(kind, EDGE_ERRORS["404"])
        headers = {"Cache-Control": "no-store"}
        if error.retry_after is not None:
            headers["Retry-After"] = str(error.retry_after)
        return problem(error.status, error.detail, kind=error.kind, headers=headers)

    return router

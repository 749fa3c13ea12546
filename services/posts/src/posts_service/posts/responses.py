"""HTTP caching on the wire: ``ETag``, ``If-None-Match`` → 304, ``Cache-Control`` and ``Vary``.

| response | Cache-Control |
| --- | --- |
| anonymous read of public data (post, feed, media status) | ``public, max-age=PUBLIC_MAX_AGE_SECONDS`` |
| signed-in read (may hold the reader's drafts) | ``private, no-cache`` (revalidate with the ETag) |
| every write's response, admin listings | ``no-store`` |
| media files | ``public, max-age=MEDIA_MAX_AGE_SECONDS`` (``private`` for a draft's) |

Reads vary on ``Authorization``: the same URL answers differently for a signed-in reader.
"""

from __future__ import annotations

from fastapi import Request, Response

__all__ = ["NO_STORE", "conditional", "matches", "no_store"]

NO_STORE = "no-store"
JSON = "application/json"


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison, as ``If-None-Match`` on a GET asks for."""
    if not if_none_match:
        return False
    bare = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == bare:
            return True
    return False


def conditional(
    request: Request,
    body: bytes,
    *,
    etag: str,
    cache_control: str,
    media_type: str = JSON,
    headers: dict[str, str] | None = None,
) -> Response:
    """The body, or an empty 304 when the client already holds this version."""
    all_headers = {"ETag": etag, "Cache-Control": cache_control, "Vary": "Authorization", **(headers or {})}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=all_headers)
    return Response(body, media_type=media_type, headers=all_headers)


async def no_store(response: Response) -> None:
    """A dependency for routes whose answers must never be kept by any cache."""
    response.headers["Cache-Control"] = NO_STORE

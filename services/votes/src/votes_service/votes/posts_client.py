"""The posts service's internal lookup, over HTTP.

Posts answers ``GET /internal/posts/{id}`` with 204 when the post exists and is public, 404
otherwise. Anything else (refused connection, timeout, 5xx, a surprising status) means we cannot
tell, so the vote is refused with a 503 the client can retry, never a 500 or a hang.
"""

from __future__ import annotations

import logging
import uuid

import httpx

from common import ServiceUnavailable

__all__ = ["HttpPostLookup"]

log = logging.getLogger("votes_service.posts_client")

UNAVAILABLE = "Could not check that the post exists (the posts service is not answering); try again shortly"


class HttpPostLookup:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def is_votable(self, post_id: uuid.UUID) -> bool:
        try:
            response = await self.client.get(f"/internal/posts/{post_id}")
        except httpx.HTTPError as exc:
            log.warning("posts lookup failed", extra={"post_id": str(post_id), "error": type(exc).__name__})
            raise ServiceUnavailable(UNAVAILABLE) from None
        if response.status_code == 404:
            return False
        if 200 <= response.status_code < 300:
            return True
        log.warning("posts lookup answered %s", response.status_code, extra={"post_id": str(post_id)})
        raise ServiceUnavailable(UNAVAILABLE)

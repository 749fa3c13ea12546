"""The posts service's internal lookup, over HTTP."""

from __future__ import annotations

import uuid

import httpx

from common import ServiceUnavailable

__all__ = ["HttpPostLookup"]


class HttpPostLookup:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def is_votable(self, post_id: uuid.UUID) -> bool:
        try:
            response = await self.client.get(f"/internal/posts/{post_id}")
        except httpx.HTTPError:
            raise ServiceUnavailable("Could not check the post right now; try again shortly") from None
        if response.status_code == 404:
            return False
        if response.status_code >= 300:
            raise ServiceUnavailable("Could not check the post right now; try again shortly")
        return True

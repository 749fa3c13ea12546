"""Traefik's ``buffering`` middleware, reduced to the limit it is used for: ``maxRequestBodyBytes``.

Traefik answers 413 at once when ``Content-Length`` exceeds the limit, and otherwise stops reading
once the body passes it. The native gateway does the same without buffering: it records the limit on
the request, and the body is counted while it streams to the upstream, so an oversize body is never
held in memory; when it overflows mid-stream the upstream request is aborted and the client gets 413.
Nested limits keep the smallest, as nested Traefik buffers would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from native_gateway.request import Handler, Request

__all__ = ["BufferingMiddleware"]


class BufferingMiddleware:
    """One configured ``buffering`` middleware."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        limit = int(options.get("maxRequestBodyBytes", 0))
        if limit < 0:
            raise ValueError("maxRequestBodyBytes must not be negative")
        self.limit = limit or None  # 0 means "no limit" in Traefik.

    def wrap(self, next_handler: Handler) -> Handler:
        limit = self.limit
        if limit is None:
            return next_handler

        async def handle(req: Request) -> None:
            if req.content_length is not None and req.content_length > limit:
                await req.respond_json(413, "Request body too large")
                return
            if req.max_body is None or limit < req.max_body:
                req.max_body = limit
            await next_handler(req)

        return handle

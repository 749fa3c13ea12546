"""Traefik's ``stripPrefix`` middleware (unused by the routing table, implemented for completeness).

Mirrors Traefik v3: the first listed prefix the path starts with is removed, a leading ``/`` is
restored when the remainder lacks one, and the removed prefix is sent upstream in
``X-Forwarded-Prefix`` so the service can build absolute links.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from native_gateway.request import Handler, Request

__all__ = ["StripPrefixMiddleware"]


class StripPrefixMiddleware:
    """One configured ``stripPrefix`` middleware."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.prefixes: list[str] = list(options.get("prefixes", []))
        if not self.prefixes:
            raise ValueError("stripPrefix needs at least one prefix")

    def wrap(self, next_handler: Handler) -> Handler:
        async def handle(req: Request) -> None:
            for prefix in self.prefixes:
                if req.path.startswith(prefix):
                    rest = req.path[len(prefix) :]
                    req.path = rest if rest.startswith("/") else "/" + rest
                    req.headers.append((b"x-forwarded-prefix", prefix.strip().encode("latin-1")))
                    break
            await next_handler(req)

        return handle

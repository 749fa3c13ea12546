"""Who is on the other end of the connection, as far as auth can tell."""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["client_ip"]


def client_ip(request: Request, *, trust_forwarded_for: bool) -> str:
    """The client's address: the first ``X-Forwarded-For`` entry (written by the gateway) if trusted.

    The gateway never passes on what a client sent in ``X-Forwarded-For``: its public entry point
    trusts nobody's forwarded headers, and its forwardAuth writes the client's address alone. So the
    first entry is the address the gateway saw; entries after it are the gateway's own hops (the
    forwardAuth check reaches auth through Traefik's loopback entry point, which appends 127.0.0.1).
    """
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            first = forwarded.split(",", 1)[0].strip()
            if first:
                return first[:64]
    return request.client.host if request.client else "unknown"

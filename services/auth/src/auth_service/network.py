"""Who is on the other end of the connection, as far as auth can tell."""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["client_ip"]


def client_ip(request: Request, *, trust_forwarded_for: bool) -> str:
    """The client's address: the last ``X-Forwarded-For`` entry (written by the gateway) if trusted.

    The last entry is the one the nearest proxy added; earlier ones come from the client and
    could be anything.
    """
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            last = forwarded.rsplit(",", 1)[-1].strip()
            if last:
                return last[:64]
    return request.client.host if request.client else "unknown"

"""Traefik's ``forwardAuth`` middleware, mirrored from ``pkg/middlewares/auth/forward.go`` (v3).

* The auth request is a GET to ``address`` with no body, carrying the original request's headers
  (as rewritten by the middlewares before this one) minus hop-by-hop ones, plus ``X-Forwarded-For``
  (the client address), ``X-Forwarded-Method``, ``-Proto``, ``-Host`` and ``-Uri``. With
  ``trustForwardHeader: false`` client-sent values of those are never used.
* A 2xx answer lets the request through: every header named in ``authResponseHeaders`` is deleted from
  the request and replaced by the auth server's values, so a client can never smuggle an identity
  header past the gateway, even when the auth server answers 2xx without it (anonymous).
* Any other answer is returned to the client as it came: status, headers (minus hop-by-hop; a
  relative ``Location`` resolved against ``address``) and body.
* When the auth server cannot be reached, or does not answer within 30 s, Traefik answers 500 with an
  empty body (``rw.WriteHeader(http.StatusInternalServerError)``); so does the native gateway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from native_gateway.httpclient import UpstreamError
from native_gateway.pools import FORWARD_AUTH_IDLE_TIMEOUT, FORWARD_AUTH_TIMEOUT, Pools
from native_gateway.request import HOP_BY_HOP, Handler, Headers, Request, connection_listed

__all__ = ["ForwardAuthMiddleware"]

logger = logging.getLogger("native_gateway")

# Go's transport never sends these from Header for a body-less request; Host comes from the address.
_NOT_COPIED: Final = HOP_BY_HOP | {b"content-length", b"host", b"expect"}
# Set below from the request itself (trustForwardHeader: false).
_REPLACED: Final = frozenset(
    {b"x-forwarded-for", b"x-forwarded-method", b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-uri"}
)
# forward.go's own hop list for the auth *response* (Proxy-Authenticate survives there); the length
# is recomputed for the body we send.
_RESPONSE_HOP: Final = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"content-length",
    }
)


class ForwardAuthMiddleware:
    """One configured ``forwardAuth`` middleware."""

    def __init__(self, name: str, options: Mapping[str, Any], pools: Pools) -> None:
        self.name = name
        self.address = str(options.get("address", ""))
        parts = urlsplit(self.address)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"address {self.address!r} is not an absolute http(s) URL")
        if options.get("trustForwardHeader", False):
            raise ValueError("trustForwardHeader: true is not implemented by the native gateway")
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.pool = pools.get(
            self.address, connect_timeout=FORWARD_AUTH_TIMEOUT, idle_timeout=FORWARD_AUTH_IDLE_TIMEOUT
        )
        self.response_headers = frozenset(
            header.lower().encode("latin-1") for header in options.get("authResponseHeaders", [])
        )

    def auth_request_headers(self, req: Request) -> Headers:
        listed = connection_listed(req.headers)
        skip = _NOT_COPIED | _REPLACED | listed
        headers: Headers = [(b"host", self.pool.authority)]
        headers += [item for item in req.headers if item[0] not in skip]
        headers += (
            (b"x-forwarded-for", req.client_ip.encode("ascii")),
            (b"x-forwarded-method", req.method.encode("ascii")),
            (b"x-forwarded-proto", req.scheme.encode("ascii")),
            (b"x-forwarded-uri", req.path_and_query.encode("latin-1")),
        )
        if req.host:
            headers.append((b"x-forwarded-host", req.host))
        return headers

    def wrap(self, next_handler: Handler) -> Handler:
        async def handle(req: Request) -> None:
            try:
                response = await self.pool.request(
                    "GET", self.target, self.auth_request_headers(req), response_timeout=FORWARD_AUTH_TIMEOUT
                )
                body = await response.read()
            except (UpstreamError, TimeoutError) as exc:
                logger.warning("forwardAuth %s: error calling %s: %s", self.name, self.address, exc)
                await req.respond(500, [])
                return
            if not 200 <= response.status < 300:
                await req.respond(response.status, self._denial_headers(response.headers), body)
                return
            names = self.response_headers
            if names:
                # Delete every listed header, then copy the auth server's values (forward.go does the
                # same per header), in one pass over each list.
                req.headers = [item for item in req.headers if item[0] not in names]
                req.headers += [item for item in response.headers if item[0] in names]
            await next_handler(req)

        return handle

    def _denial_headers(self, headers: Headers) -> Headers:
        out: Headers = []
        for name, value in headers:
            if name == b"location":
                value = urljoin(self.address, value.decode("latin-1")).encode("latin-1")
            if name not in _RESPONSE_HOP:
                out.append((name, value))
        return out

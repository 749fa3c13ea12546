"""Forward a request to a service's upstream and stream the answer back, the way Traefik's proxy does.

* Hop-by-hop headers (and those a ``Connection`` header lists) are dropped both ways; the client's
  ``Host`` is passed on when ``passHostHeader`` is true (the default); ``X-Forwarded-For`` is the
  client's address (client-sent forwarding headers were already discarded at the entry point).
* Bodies stream in both directions; a small body with a known length is read in one piece, which is
  cheaper than a chunked stream.
* Failures are answered the way Traefik's proxy classifies them: no healthy server → 503, refused
  or broken connection → 502, no response within the upstream timeout → 504, a body that passes the
  ``buffering`` limit mid-stream → 413. The native gateway renders them as ``{"detail": ...}``.
"""

from __future__ import annotations

import logging
from typing import Final

from native_gateway.balancer import LoadBalancer
from native_gateway.httpclient import Body, Response, UpstreamError, UpstreamTimeout
from native_gateway.request import (
    HOP_BY_HOP,
    BodyTooLarge,
    ClientDisconnected,
    Handler,
    Headers,
    Request,
    connection_listed,
)

__all__ = ["response_headers", "service_handler", "upstream_headers"]

logger = logging.getLogger("native_gateway")

_SMALL_BODY: Final = 64 * 1024
# Framing is the client's business (the pool writes its own); Expect is answered by our server.
_NOT_FORWARDED: Final = HOP_BY_HOP | {b"content-length", b"host", b"expect"}


def upstream_headers(req: Request, host: bytes) -> Headers:
    """The request headers the upstream receives (the pool adds the body framing)."""
    listed = connection_listed(req.headers)
    dropped = _NOT_FORWARDED | listed if listed else _NOT_FORWARDED
    headers: Headers = [(b"host", host)]
    headers += [item for item in req.headers if item[0] not in dropped]
    headers.append((b"x-forwarded-for", req.client_ip.encode("ascii")))
    return headers


def response_headers(headers: Headers) -> Headers:
    """The upstream's response headers minus hop-by-hop ones."""
    listed = connection_listed(headers)
    dropped = HOP_BY_HOP | listed if listed else HOP_BY_HOP
    return [item for item in headers if item[0] not in dropped]


def service_handler(balancer: LoadBalancer) -> Handler:
    """The terminal handler of every router chain that targets this service."""
    pass_host_header = balancer.config.pass_host_header
    timeout = balancer.response_timeout

    async def handle(req: Request) -> None:
        server = balancer.pick()
        if server is None:
            await req.respond_json(503, "Service unavailable")
            return
        req.upstream = server.base
        body: Body = None
        length = None
        if req.has_body:
            length = None if req.chunked else req.content_length
            try:
                small = length is not None and length <= _SMALL_BODY
                body = await req.read_body() if small else req.stream_body()
            except (BodyTooLarge, ClientDisconnected):
                await _answer_failure(req, None)
                return
        host = req.host if pass_host_header and req.host else server.pool.authority
        try:
            response = await server.pool.request(
                req.method,
                req.path_and_query,
                upstream_headers(req, host),
                body,
                content_length=length,
                response_timeout=timeout,
            )
        except Exception as exc:
            await _answer_failure(req, exc)
            return
        try:
            await _relay(req, response)
        except UpstreamError as exc:
            if not req.started:
                await _answer_failure(req, exc)
            else:  # too late for an error status: the client sees the connection close early
                logger.warning("upstream %s failed mid-response: %s", server.base, exc)
        finally:
            response.release()

    return handle


async def _answer_failure(req: Request, exc: Exception | None) -> None:
    """Map a failed exchange to Traefik's status codes (the body error, if any, explains it)."""
    if isinstance(req.body_error, BodyTooLarge):
        await req.respond_json(413, "Request body too large")
    elif isinstance(req.body_error, ClientDisconnected):
        req.status = 499
    elif isinstance(exc, UpstreamTimeout):
        await req.respond_json(504, "Gateway timeout")
    elif isinstance(exc, UpstreamError):
        logger.warning("upstream %s unreachable: %s", req.upstream, exc)
        await req.respond_json(502, "Bad gateway")
    else:
        raise exc if exc is not None else RuntimeError("request failed without an error")


async def _relay(req: Request, response: Response) -> None:
    headers = response_headers(response.headers)
    length = response.content_length
    if req.method == "HEAD" or (length is not None and length <= _SMALL_BODY):
        body = await response.read()
        await req.start(response.status, headers)
        await req.send_body(body)
        return
    await req.start(response.status, headers)
    async for chunk in response.iter_chunks():
        await req.send_body(chunk, more=True)
    await req.send_body(b"")

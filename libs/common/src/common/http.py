"""Outgoing HTTP: one pooled client per upstream, created in lifespan, passing the request id on."""

from __future__ import annotations

import httpx

from common.logging import request_id_var

__all__ = ["create_http_client"]


async def _add_request_id(request: httpx.Request) -> None:
    request_id = request_id_var.get()
    if request_id and "x-request-id" not in request.headers:
        request.headers["x-request-id"] = request_id


def create_http_client(base_url: str = "", *, timeout: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=2.0),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        event_hooks={"request": [_add_request_id]},
    )

"""Auth's measured exception to the house style: the gateway's forwardAuth check, ahead of routing.

PLACEHOLDER
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.requests import Request
from starlette.responses import Response

from auth_service.forward_auth.service import FORWARD_AUTH_PATH, ForwardAuth
from common.middleware import FastEndpoint

__all__ = ["FORWARD_AUTH_PATH", "fast_endpoints"]


def fast_endpoints(forward_auth: Callable[[], ForwardAuth]) -> Mapping[str, FastEndpoint]:
    """What ``create_service_app`` hands ``common.middleware.FastPaths``: the check, by path."""

    async def check(request: Request) -> Response:
        return await forward_auth().check(request)

    return {FORWARD_AUTH_PATH: check}

"""Traefik's ``headers`` middleware: custom request/response headers, security headers, CORS.

Semantics mirrored from Traefik v3 (``pkg/middlewares/headers``), which builds one middleware as
"custom headers and CORS" wrapping "secure headers" wrapping the next handler:

* A CORS preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is answered
  here with 200 and never reaches the next handler; ``Access-Control-Max-Age`` is always sent.
* ``customRequestHeaders``: an empty value deletes the header, ``Host`` rewrites the host, anything
  else replaces it. ``customResponseHeaders`` likewise on the way out.
* On every other response: ``Access-Control-Allow-Origin`` when the request's origin is listed
  (``*`` matches any), ``Access-Control-Allow-Credentials``, ``Access-Control-Expose-Headers`` and
  ``Vary: Origin`` as configured.
* Secure headers (``X-Frame-Options``, ``X-Content-Type-Options``, ``Referrer-Policy``,
  ``Content-Security-Policy``) replace what the upstream sent; HSTS is only sent on TLS requests
  unless ``forceSTSHeader`` is set (the native gateway serves plain HTTP, so in practice never).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from native_gateway.request import Handler, Headers, Request, remove_header, set_header

__all__ = ["HeadersMiddleware"]

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CORS_KEYS = (
    "accessControlAllowOriginList",
    "accessControlAllowMethods",
    "accessControlAllowHeaders",
    "accessControlExposeHeaders",
    "accessControlAllowCredentials",
    "accessControlMaxAge",
    "addVaryHeader",
)


def _lower_map(values: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    for name, value in values.items():
        if not _TOKEN.fullmatch(name) or "\r" in value or "\n" in value:
            raise ValueError(f"invalid header {name!r}: {value!r}")
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in values.items()]


class HeadersMiddleware:
    """One configured ``headers`` middleware; ``wrap`` puts it in front of the next handler."""

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.request_headers = _lower_map(options.get("customRequestHeaders", {}))
        self.response_headers = _lower_map(options.get("customResponseHeaders", {}))
        self.origins: list[str] = list(options.get("accessControlAllowOriginList", []))
        self.allow_methods = ",".join(options.get("accessControlAllowMethods", [])).encode("latin-1")
        self.allow_headers = ",".join(options.get("accessControlAllowHeaders", [])).encode("latin-1")
        self.expose_headers = ",".join(options.get("accessControlExposeHeaders", [])).encode("latin-1")
        self.allow_credentials = bool(options.get("accessControlAllowCredentials", False))
        self.max_age = str(int(options.get("accessControlMaxAge", 0))).encode("ascii")
        self.add_vary = bool(options.get("addVaryHeader", False))
        self.has_cors = any(options.get(key) for key in _CORS_KEYS)
        self.secure = self._secure_headers(options)
        self.sts = self._sts_value(options)
        self.force_sts = bool(options.get("forceSTSHeader", False))
        configured = self.request_headers or self.response_headers or self.secure or self.sts
        if not (configured or self.has_cors):
            # Traefik refuses such a middleware too ("headers configuration not valid").
            raise ValueError("headers middleware configures no header")

    @staticmethod
    def _secure_headers(options: Mapping[str, Any]) -> Headers:
        headers: Headers = []
        if options.get("frameDeny"):
            headers.append((b"x-frame-options", b"DENY"))
        if options.get("contentTypeNosniff"):
            headers.append((b"x-content-type-options", b"nosniff"))
        if options.get("referrerPolicy"):
            headers.append((b"referrer-policy", str(options["referrerPolicy"]).encode("latin-1")))
        policy = str(options.get("contentSecurityPolicy", ""))
        if "\r" in policy or "\n" in policy:
            raise ValueError(f"invalid contentSecurityPolicy {policy!r}")
        if policy:
            headers.append((b"content-security-policy", policy.encode("latin-1")))
        return headers

    @staticmethod
    def _sts_value(options: Mapping[str, Any]) -> bytes | None:
        seconds = int(options.get("stsSeconds", 0))
        if seconds == 0:
            return None
        value = f"max-age={seconds}"
        if options.get("stsIncludeSubdomains"):
            value += "; includeSubDomains"
        if options.get("stsPreload"):
            value += "; preload"
        return value.encode("ascii")

    def allowed_origin(self, origin: str) -> str | None:
        for item in self.origins:
            if item in ("*", origin):
                return item
        return None

    def wrap(self, next_handler: Handler) -> Handler:
        has_custom_or_cors = bool(self.response_headers) or self.has_cors
        has_secure = bool(self.secure) or self.sts is not None
        # One pass deletes every emptied header (the identity headers): this runs on every request.
        deleted = frozenset(name for name, value in self.request_headers if not value)
        replaced = [(name, value) for name, value in self.request_headers if value]

        async def handle(req: Request) -> None:
            if self.has_cors and req.method == "OPTIONS":
                origin = _header_str(req.headers, b"origin")
                if origin and _header_str(req.headers, b"access-control-request-method"):
                    await req.respond(200, self._preflight_headers(origin))
                    return
            headers = req.headers
            if deleted and any(item[0] in deleted for item in headers):
                req.headers = headers = [item for item in headers if item[0] not in deleted]
            for name, value in replaced:
                if name == b"host":
                    req.host = value
                else:
                    set_header(headers, name, value)
            if has_custom_or_cors:
                req.hooks.append(self._custom_and_cors_hook)
            if has_secure:
                req.hooks.append(self._secure_hook)
            await next_handler(req)

        return handle

    def _preflight_headers(self, origin: str) -> Headers:
        headers: Headers = []
        if self.allow_credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        if self.allow_headers:
            headers.append((b"access-control-allow-headers", self.allow_headers))
        if self.allow_methods:
            headers.append((b"access-control-allow-methods", self.allow_methods))
        allowed = self.allowed_origin(origin)
        if allowed is not None:
            headers.append((b"access-control-allow-origin", allowed.encode("latin-1")))
        headers.append((b"access-control-max-age", self.max_age))
        return headers

    def _custom_and_cors_hook(self, req: Request, headers: Headers) -> None:
        for name, value in self.response_headers:
            if value:
                set_header(headers, name, value)
            else:
                remove_header(headers, name)
        allowed = self.allowed_origin(_header_str(req.headers, b"origin"))
        if allowed is not None:
            set_header(headers, b"access-control-allow-origin", allowed.encode("latin-1"))
        if self.allow_credentials:
            set_header(headers, b"access-control-allow-credentials", b"true")
        if self.expose_headers:
            set_header(headers, b"access-control-expose-headers", self.expose_headers)
        if self.add_vary:
            vary = next((value for name, value in headers if name == b"vary"), b"")
            if vary != b"Origin":
                set_header(headers, b"vary", vary + b",Origin" if vary else b"Origin")

    def _secure_hook(self, req: Request, headers: Headers) -> None:
        for name, value in self.secure:
            set_header(headers, name, value)
        if self.sts is not None and (req.scheme == "https" or self.force_sts):
            set_header(headers, b"strict-transport-security", self.sts)


def _header_str(headers: Headers, name: bytes) -> str:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""

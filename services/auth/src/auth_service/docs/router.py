"""``GET /docs`` and ``GET /redoc``: every service's API on one page, in Swagger UI and in ReDoc.

Why auth: Traefik cannot serve a page, and auth owns the sign-in that the page's "Authorize" button
uses (OAuth2 password flow on ``/api/v1/auth/login``). The page carries no API description itself:
its script (``static/docs.js``) fetches each service's OpenAPI document through the gateway
(``/api/v1/<service>/openapi.json``, served by every service, see ``common.app``), merges them and
starts Swagger UI on the result. ``/redoc`` renders the same merged document with ReDoc (read only;
``static/redoc.js``); both pages merge with ``static/merge.js``. Nothing comes from a CDN: the
Swagger UI and ReDoc files are vendored (``static/VENDORED.md``) and served here under ``/docs/``, and
the gateway sets the same same-origin-only Content-Security-Policy on both pages (``docs-csp`` in
``gateway/traefik/dynamic/routes.yml``).

Per environment: development and test serve everything openly; staging serves the page and its
files (no API information in them) while every OpenAPI document needs an admin's bearer token, so
the API appears once an admin signs in with "Authorize"; production does not include this router
and the documents are not served (404 at the gateway).
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request, Response

from common import NotFound

__all__ = ["DOCUMENTED_SERVICES", "REDOC_VERSION", "SWAGGER_UI_VERSION", "docs_router", "redoc_router"]

#: The services routed by the gateway whose APIs the page shows (the worker has no public route).
DOCUMENTED_SERVICES: Final = ("auth", "posts", "votes")
SWAGGER_UI_VERSION: Final = "5.35.0"  # swagger-ui-dist, vendored in static/
REDOC_VERSION: Final = "2.5.4"  # redoc's standalone bundle, vendored in static/
TOKEN_URL: Final = "/api/v1/auth/login"  # noqa: S105 (an address, not a password)
TITLE: Final = "Social posts API"

_STATIC = Path(__file__).resolve().parent / "static"
_TYPES: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "merge.js": "text/javascript; charset=utf-8",
    "docs.js": "text/javascript; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "redoc.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

docs_router = APIRouter(prefix="/docs", include_in_schema=False)
#: ``/redoc`` itself; its files are served under ``/docs/`` with Swagger UI's.
redoc_router = APIRouter(include_in_schema=False)


@dataclass(frozen=True, slots=True)
class _Asset:
    body: bytes
    media_type: str
    digest: str

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'


def _load_assets() -> dict[str, _Asset]:
    assets = {}
    for name, media_type in _TYPES.items():
        body = (_STATIC / name).read_bytes()
        assets[name] = _Asset(body, media_type, hashlib.sha256(body).hexdigest()[:32])
    return assets


_ASSETS: Final = _load_assets()


def _url(name: str) -> str:
    """An asset's address, versioned by its content so a changed file is never served stale."""
    return f"/docs/{name}?v={_ASSETS[name].digest[:12]}"


def _specs() -> str:
    specs = [{"name": name, "url": f"/api/v1/{name}/openapi.json"} for name in DOCUMENTED_SERVICES]
    return html.escape(json.dumps(specs))


def _html(*, stylesheet: str | None, runs: str, mount: str, scripts: tuple[str, ...]) -> str:
    """A docs page: the head, the no-script line and the scripts both pages share around its own
    mount point (``mount``, with the specs and the title in its data attributes)."""
    title = html.escape(TITLE)
    style = f'\n  <link rel="stylesheet" href="{_url(stylesheet)}">' if stylesheet else ""
    script_tags = "\n".join(f'  <script src="{_url(name)}"></script>' for name in scripts)
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" type="image/png" href="{_url("favicon-32x32.png")}">{style}
</head>
<body>
  <noscript>This page needs JavaScript: it runs {runs}.</noscript>
  {mount}
{script_tags}
</body>
</html>
"""


def _page() -> str:
    title = html.escape(TITLE)
    return _html(
        stylesheet="swagger-ui.css",
        runs=f"Swagger UI {SWAGGER_UI_VERSION}",
        mount=f'<div id="swagger-ui" data-specs="{_specs()}" data-token-url="{TOKEN_URL}"\n'
        f'       data-title="{title}"></div>',
        scripts=("swagger-ui-bundle.js", "merge.js", "docs.js"),
    )


def _redoc_page() -> str:
    return _html(
        stylesheet=None,
        runs=f"ReDoc {REDOC_VERSION}",
        mount=f'<div id="redoc" data-specs="{_specs()}" data-title="{html.escape(TITLE)}"></div>',
        scripts=("redoc.standalone.js", "merge.js", "redoc.js"),
    )


_PAGE: Final = _page().encode()
_REDOC_PAGE: Final = _redoc_page().encode()


@docs_router.get("")
async def docs_page() -> Response:
    """The docs page (a shell: the API descriptions are fetched by its script)."""
    return Response(_PAGE, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


@redoc_router.get("/redoc")
async def redoc_page() -> Response:
    """The ReDoc page (a shell, like the docs page: its script fetches the API descriptions)."""
    return Response(_REDOC_PAGE, media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


@docs_router.get("/{name}")
async def docs_asset(name: str, request: Request) -> Response:
    """One of the page's files; anything else is 404."""
    asset = _ASSETS.get(name)
    if asset is None:
        raise NotFound("Not Found")
    headers = {"ETag": asset.etag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)

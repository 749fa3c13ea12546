"""``GET /reset-password`` and ``GET /verify-email``: the pages behind the links the worker mails.

The worker's mails link to ``PUBLIC_BASE_URL`` + ``/reset-password?token=…`` and
``/verify-email?token=…``. With ``PUBLIC_BASE_URL`` set to the gateway (the default, and what the
native stack sets), these pages answer; a team with its own front end points ``PUBLIC_BASE_URL`` (and
the worker's ``PASSWORD_RESET_PATH`` / ``VERIFY_EMAIL_PATH``) at its own pages instead.

Each page is static HTML plus one script and one style sheet from ``/account-pages/`` (no inline
script or style): the gateway serves them under the same strict Content-Security-Policy as ``/docs``
(router ``account-pages`` in ``gateway/traefik/dynamic/routes.yml``). The script reads the token from
the address, removes it from the address bar, and calls the JSON API through the gateway
(``POST /api/v1/auth/password/reset``, ``POST /api/v1/auth/verify``). The token never leaves the
page otherwise: the gateway sends ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path
from typing import Final

from fastapi import APIRouter, Request, Response

from common import NotFound

__all__ = ["ASSETS_PREFIX", "RESET_PASSWORD_PATH", "VERIFY_EMAIL_PATH", "pages_router"]

RESET_PASSWORD_PATH: Final = "/reset-password"  # noqa: S105 (a path, not a password)
VERIFY_EMAIL_PATH: Final = "/verify-email"
ASSETS_PREFIX: Final = "/account-pages"

_STATIC = Path(__file__).resolve().parent / "static"
_TYPES: Final = {"account.js": "text/javascript; charset=utf-8", "account.css": "text/css; charset=utf-8"}
_ASSETS: Final = {name: (_STATIC / name).read_bytes() for name in _TYPES}
_DIGESTS: Final = {name: hashlib.sha256(body).hexdigest()[:32] for name, body in _ASSETS.items()}

pages_router = APIRouter(include_in_schema=False)


def _page(title: str, kind: str, main: str) -> bytes:
    version = {name: digest[:12] for name, digest in _DIGESTS.items()}
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{html.escape(title)}</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="{ASSETS_PREFIX}/account.css?v={version["account.css"]}">
</head>
<body data-page="{kind}">
  <main>
    <h1>{html.escape(title)}</h1>
    <noscript><p>This page needs JavaScript to talk to the API.</p></noscript>
{main}
    <p id="status" role="status" aria-live="polite"></p>
  </main>
  <script src="{ASSETS_PREFIX}/account.js?v={version["account.js"]}"></script>
</body>
</html>
""".encode()


_RESET_PAGE: Final = _page(
    "Choose a new password",
    "reset-password",
    """    <form id="reset-form" hidden>
      <label for="new-password">New password</label>
      <input id="new-password" name="new_password" type="password" autocomplete="new-password"
             minlength="8" required>
      <label for="confirm-password">The same password again</label>
      <input id="confirm-password" type="password" autocomplete="new-password" minlength="8" required>
      <button type="submit">Change the password</button>
    </form>""",
)
_VERIFY_PAGE: Final = _page("Confirm your e-mail address", "verify-email", "")
_HTML_HEADERS: Final = {"Cache-Control": "no-store"}


@pages_router.get(RESET_PASSWORD_PATH)
async def reset_password_page() -> Response:
    """The form that sets a new password with the mailed token."""
    return Response(_RESET_PAGE, media_type="text/html; charset=utf-8", headers=_HTML_HEADERS)


@pages_router.get(VERIFY_EMAIL_PATH)
async def verify_email_page() -> Response:
    """Confirms the address with the mailed token as it opens, and says so."""
    return Response(_VERIFY_PAGE, media_type="text/html; charset=utf-8", headers=_HTML_HEADERS)


@pages_router.get(ASSETS_PREFIX + "/{name}")
async def account_asset(name: str, request: Request) -> Response:
    """The pages' script and style sheet; anything else is 404."""
    body = _ASSETS.get(name)
    if body is None:
        raise NotFound("Not Found")
    etag = f'"{_DIGESTS[name]}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=_TYPES[name], headers=headers)

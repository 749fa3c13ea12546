"""A web client on another origin, in a real browser, through the gateway's CORS policy.

A page is served on a loopback port whose origin the gateway's ``cors`` middleware allows
(``http://localhost:5173`` or ``http://localhost:3000``); its script calls the gateway cross-origin,
as a single-page app does: register, sign in (the refresh token lands in the httpOnly cookie), create a
post declaring ``X-Client-Version`` and read the headers a client must (``Location``, ``ETag``,
``X-Request-ID``), refresh through the cookie with ``X-CSRF-Token``, sign out. The same script on a
disallowed origin gets nothing: the browser refuses to hand over any answer.

``localhost`` on both sides, so the page and the gateway are the same site and the browser sends the
SameSite=Strict cookie on the cross-origin refresh, as it would for app.example.com and
api.example.com.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Page

from common_testing.ports import FreePorts

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
ALLOWED_PORTS = (5173, 3000)  # http://localhost:<port> is in the gateway's accessControlAllowOriginList
_PAGE = b"<!doctype html><html><head><title>client</title></head><body>a web client</body></html>"

# Runs in the page: every call cross-origin to the gateway, with the cookie where the flow needs it.
_CLIENT = """
async ([api, name, password]) => {
  const steps = {};
  const json = {"Content-Type": "application/json"};
  let r = await fetch(`${api}/api/v1/auth/register`, {method: "POST", headers: json,
    body: JSON.stringify({email: `${name}@example.com`, username: name, password: password})});
  steps.register = {status: r.status, requestId: r.headers.get("X-Request-ID")};

  r = await fetch(`${api}/api/v1/auth/login/json`, {method: "POST", headers: json, credentials: "include",
    body: JSON.stringify({login: name, password: password})});
  const login = await r.json();
  steps.login = {status: r.status};

  r = await fetch(`${api}/api/v1/posts`, {method: "POST", credentials: "include",
    headers: {...json, "Authorization": `Bearer ${login.access_token}`, "X-Client-Version": "1.2.3"},
    body: JSON.stringify({title: "From the browser", content: "cross-origin"})});
  const post = await r.json();
  steps.create = {status: r.status, location: r.headers.get("Location"),
                  requestId: r.headers.get("X-Request-ID")};

  r = await fetch(`${api}/api/v1/posts/${post.id}`);
  steps.read = {status: r.status, etag: r.headers.get("ETag")};

  r = await fetch(`${api}/api/v1/auth/refresh`, {method: "POST", credentials: "include",
    headers: {"X-CSRF-Token": login.csrf_token}});
  const refreshed = await r.json();
  steps.refresh = {status: r.status, rotated: refreshed.access_token !== login.access_token};

  r = await fetch(`${api}/api/v1/auth/logout`, {method: "POST", credentials: "include",
    headers: {"Authorization": `Bearer ${refreshed.access_token}`}});
  steps.logout = {status: r.status};

  r = await fetch(`${api}/api/v1/auth/refresh`, {method: "POST", credentials: "include",
    headers: {"X-CSRF-Token": login.csrf_token}});
  steps.refreshAfterLogout = {status: r.status, detail: (await r.json()).detail};
  return steps;
}
"""

_REFUSED = """
async ([api, name, password]) => {
  const outcomes = {};
  for (const [what, init] of [
    ["register", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({email: `${name}@example.com`, username: name, password: password})}],
    ["feed", {}],
  ]) {
    try {
      const r = await fetch(`${api}/${what === "feed" ? "api/v1/posts" : "api/v1/auth/register"}`, init);
      outcomes[what] = `read ${r.status}`;
    } catch (e) {
      outcomes[what] = `refused: ${e.name}`;
    }
  }
  return outcomes;
}
"""


class _Site:
    """One static page on a loopback port: the web client's origin."""

    def __init__(self, port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(_PAGE)))
                self.end_headers()
                self.wfile.write(_PAGE)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://localhost:{self.port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def allowed_site() -> Iterator[_Site]:
    for port in ALLOWED_PORTS:
        try:
            site = _Site(port)
        except OSError:
            continue
        try:
            yield site
        finally:
            site.close()
        return
    pytest.fail(f"none of the allowed origins' ports {ALLOWED_PORTS} is free on this machine")


@pytest.fixture
def disallowed_site(free_port: FreePorts) -> Iterator[_Site]:
    site = _Site(free_port())
    try:
        yield site
    finally:
        site.close()


def _api(stack: Any) -> str:
    return f"http://localhost:{stack.config.gateway_port}"


def test_a_web_client_on_an_allowed_origin_signs_in_posts_refreshes_by_cookie_and_signs_out(
    stack: Any, allowed_site: _Site, page: Page
) -> None:
    page.goto(f"{allowed_site.origin}/")
    steps = page.evaluate(_CLIENT, [_api(stack), f"cors_{uuid.uuid4().hex[:8]}", PASSWORD])

    assert steps["register"]["status"] == 201, steps
    assert steps["register"]["requestId"], steps  # exposed to the script
    assert steps["login"]["status"] == 200, steps
    assert steps["create"]["status"] == 201, steps
    assert steps["create"]["location"].startswith("/api/v1/posts/"), steps
    assert steps["read"]["status"] == 200, steps
    assert steps["read"]["etag"], steps
    assert steps["refresh"] == {"status": 200, "rotated": True}, steps
    assert steps["logout"]["status"] == 204, steps
    assert steps["refreshAfterLogout"]["status"] == 401, steps  # the cookie's session is gone


def test_the_same_client_on_a_disallowed_origin_is_refused_by_the_browser(
    stack: Any, disallowed_site: _Site, page: Page
) -> None:
    page.goto(f"{disallowed_site.origin}/")
    outcomes = page.evaluate(_REFUSED, [_api(stack), f"evil_{uuid.uuid4().hex[:8]}", PASSWORD])
    assert outcomes == {"register": "refused: TypeError", "feed": "refused: TypeError"}

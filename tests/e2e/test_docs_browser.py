"""The gateway's /docs page in a real browser: every service listed, "Authorize", "Try it out".

Debian's Chromium (``/usr/bin/chromium``, installed by ``tests/e2e/install-browser.sh``) driven by
Playwright through ``executable_path`` (the ``browser`` and ``page`` fixtures of ``conftest.py``):
Playwright's own browser download is never used. The page
runs under the gateway's Content-Security-Policy, so a violation would show up here too.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
# Report CSP violations where the test can read them (console errors are collected below).
_WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
"""


def _register(gateway_url: str) -> str:
    name = f"docs_{uuid.uuid4().hex[:8]}"
    response = httpx.post(
        f"{gateway_url}/api/v1/auth/register",
        json={"email": f"{name}@example.com", "username": name, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return name


#: An operation's path in its summary: Swagger UI's ``opblock-summary-path``, or
#: ``opblock-summary-path__deprecated`` for a deprecated operation (``GET /api/v1/auth/me``).
_SUMMARY_PATH = ".opblock-summary [data-path]"


def _operation(page: Page, method: str, path: str) -> Any:
    # by its method's label: a deprecated operation's block is ``opblock-deprecated``, not ``opblock-get``
    return page.locator(
        f".opblock:has(.opblock-summary [data-path='{path}'])"
        f":has(.opblock-summary-method:text-is('{method.upper()}'))"
    )


def _try_it_out(page: Page, method: str, path: str) -> Any:
    """Expand an operation, "Try it out", "Execute"; the live response's status cell."""
    operation = _operation(page, method, path)
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    return operation


def _watch(page: Page, gateway_url: str) -> list[str]:
    """What went wrong on the page, as it happens: console errors, page errors, a request that left
    the gateway, and (``_WATCH_CSP``) a CSP violation."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "request",
        lambda request: (
            problems.append(f"left the gateway: {request.url}")
            if not request.url.startswith((gateway_url, "data:"))
            else None
        ),
    )
    page.add_init_script(_WATCH_CSP)
    return problems


def test_docs_page_lists_every_service_and_tries_a_protected_route(stack: Any, page: Page) -> None:
    gateway_url = stack.config.gateway_url
    name = _register(gateway_url)
    problems = _watch(page, gateway_url)

    page.goto(f"{gateway_url}/docs")
    page.wait_for_selector("#swagger-ui[data-ready='true'] .opblock")

    # Every service's operations, in one document.
    paths = set(page.locator(_SUMMARY_PATH).evaluate_all("(els) => els.map(e => e.dataset.path)"))
    expected = {
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/me",
        "/api/v1/posts",
        "/api/v1/posts/{post_id}",
        "/api/v1/votes/me",
        "/api/v1/votes/{post_id}",
    }
    assert expected <= paths, expected - paths
    # the older of auth's two "me" routes is listed as deprecated (GET /api/v1/auth/users/me stays)
    expect(page.locator(".opblock-deprecated [data-path='/api/v1/auth/me']")).to_have_count(1)
    description = page.locator(".information-container")
    for service in ("auth", "posts", "votes"):
        row = description.locator("tr", has_text=f"/api/v1/{service}/openapi.json")
        expect(row).to_contain_text("loaded")

    # "Authorize" signs in through auth's OAuth2 password flow.
    page.locator(".auth-wrapper button.authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("#oauth_username").fill(name)
    dialog.locator("#oauth_password").fill(PASSWORD)
    dialog.locator("button.modal-btn.authorize").click()
    expect(dialog.locator("button", has_text="Logout")).to_be_visible()  # signed in
    dialog.locator("button.btn-done").click()

    # "Try it out" on protected routes of two services: the token goes with the request.
    me = _try_it_out(page, "get", "/api/v1/auth/me")
    expect(me.locator(".live-responses-table tr.response td.response-col_status")).to_have_text("200")
    expect(me.locator(".live-responses-table tr.response td.response-col_description")).to_contain_text(name)
    votes = _try_it_out(page, "get", "/api/v1/votes/me")
    expect(votes.locator(".live-responses-table tr.response td.response-col_status")).to_have_text("200")

    assert problems == []


def _operation_ids(gateway_url: str) -> set[str]:
    """Every operation id of the documents the pages merge, read through the gateway."""
    ids = set()
    for service in ("auth", "posts", "votes"):
        document = httpx.get(f"{gateway_url}/api/v1/{service}/openapi.json", timeout=10).json()
        for item in document["paths"].values():
            ids |= {operation["operationId"] for operation in item.values() if "operationId" in operation}
    return ids


def test_redoc_renders_every_services_operations_under_the_docs_csp(stack: Any, page: Page) -> None:
    gateway_url = stack.config.gateway_url
    problems = _watch(page, gateway_url)

    answer = page.goto(f"{gateway_url}/redoc")
    assert answer is not None
    docs_csp = httpx.get(f"{gateway_url}/docs", timeout=10).headers["content-security-policy"]
    assert answer.headers["content-security-policy"] == docs_csp
    page.wait_for_selector("#redoc[data-ready='true'] [data-section-id^='operation/']")

    # Every operation of every service, each under its <tag>-<name> id.
    sections = page.locator("[data-section-id^='operation/']").evaluate_all(
        "(els) => els.map(e => e.dataset.sectionId.slice('operation/'.length))"
    )
    expected = _operation_ids(gateway_url)
    assert {"auth-register", "posts-create", "votes-cast", "media-get-file"} <= expected
    assert set(sections) == expected
    expect(page.locator("#redoc")).to_contain_text("/api/v1/posts/{post_id}")
    # Styled (the inline style elements the CSP allows by hash took effect), and every document loaded.
    menu = page.locator(".menu-content")
    assert menu.evaluate("(el) => getComputedStyle(el).backgroundColor") == "rgb(250, 250, 250)"
    for service in ("auth", "posts", "votes"):
        row = page.locator("tr", has_text=f"/api/v1/{service}/openapi.json")
        expect(row).to_contain_text("loaded")

    assert problems == []

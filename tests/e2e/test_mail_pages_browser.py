"""The mailed links, followed in a real browser, from the mail in the stack's catcher.

Registration mails a verification link, "forgot password" a reset link. Chromium opens the catcher's
page (``deploy/native/mailcatcher.py``), the message, clicks the link in it, and lands on the page auth
serves through the gateway: the verification page confirms the address and says so; the reset page
takes a new password. The journey ends with a sign-in using the new password. Both pages run under
the gateway's strict Content-Security-Policy (the same as ``/docs``): any violation fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new browser password"
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' "
    # ReDoc's two inline style elements, by hash (gateway/traefik/dynamic/routes.yml, docs-csp)
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' "
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='; "
    "img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Its own loopback source address for the calls made outside the browser (auth limits sign-ups per address).
SOURCE_ADDRESS = "127.0.0.151"
_WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));
"""


@pytest.fixture
def api() -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=SOURCE_ADDRESS), timeout=10) as client:
        yield client


def _register(api: httpx.Client, gateway_url: str) -> tuple[str, str]:
    name = f"mail_{uuid.uuid4().hex[:8]}"
    email = f"{name}@example.com"
    response = api.post(
        f"{gateway_url}/api/v1/auth/register",
        json={"email": email, "username": name, "password": PASSWORD},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return name, email


def _watch(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.add_init_script(_WATCH_CSP)
    return problems


def _open_link_in_mail(page: Page, catcher_url: str, email: str, subject: str, path: str) -> Any:
    """From the catcher's list, the message to ``email``; then its link to ``path``. The page's answer."""
    page.goto(catcher_url)
    page.locator("tr", has_text=email).locator("a", has_text=subject).first.click()
    expect(page.locator("h1")).to_have_text(subject)
    link = page.locator(f"#body a[href*='{path}?token=']")
    with page.expect_navigation() as navigation:
        link.click()
    return navigation.value


def test_verification_link_from_the_catcher_confirms_the_address(
    stack: Any, mail_catcher: Any, page: Page, api: httpx.Client
) -> None:
    gateway_url = stack.config.gateway_url
    name, email = _register(api, gateway_url)
    # The verification link has a mail of its own (the welcome mail carries no token).
    mail_catcher.wait_for(email, "Confirm your e-mail address")
    problems = _watch(page)

    answer = _open_link_in_mail(page, mail_catcher.url, email, "Confirm your e-mail address", "/verify-email")
    assert answer.url.startswith(f"{gateway_url}/verify-email?token=")
    assert answer.headers["content-security-policy"] == DOCS_CSP
    expect(page.locator("#status")).to_have_text(f"{email} is confirmed. Thank you!")
    assert "token=" not in page.url  # taken out of the address bar

    login = api.post(
        f"{gateway_url}/api/v1/auth/login/json", json={"login": name, "password": PASSWORD}, timeout=10
    ).json()
    bearer = {"Authorization": f"Bearer {login['access_token']}"}
    me = api.get(f"{gateway_url}/api/v1/auth/me", headers=bearer, timeout=10)
    assert me.json()["email_verified"] is True
    assert problems == []


def test_reset_link_from_the_catcher_sets_a_password_that_signs_in(
    stack: Any, mail_catcher: Any, page: Page, api: httpx.Client
) -> None:
    gateway_url = stack.config.gateway_url
    name, email = _register(api, gateway_url)
    forgot = api.post(f"{gateway_url}/api/v1/auth/password/forgot", json={"email": email}, timeout=10)
    assert forgot.status_code == 202, forgot.text
    mail_catcher.wait_for(email, "Reset your password")
    problems = _watch(page)

    answer = _open_link_in_mail(page, mail_catcher.url, email, "Reset your password", "/reset-password")
    assert answer.headers["content-security-policy"] == DOCS_CSP
    page.locator("#new-password").fill(NEW_PASSWORD)
    page.locator("#confirm-password").fill(NEW_PASSWORD + " typo")
    page.locator("#reset-form button").click()
    expect(page.locator("#status")).to_have_text("The two passwords differ.")
    page.locator("#confirm-password").fill(NEW_PASSWORD)
    page.locator("#reset-form button").click()
    expect(page.locator("#status")).to_have_text("Your password is changed. Sign in with the new one.")
    expect(page.locator("#reset-form")).to_be_hidden()

    # Sign in with the new password, from a page of the gateway's origin (as a web client would).
    signed_in = page.evaluate(
        """async ([name, password]) => {
            const r = await fetch("/api/v1/auth/login", {
              method: "POST",
              headers: {"Content-Type": "application/x-www-form-urlencoded"},
              body: new URLSearchParams({username: name, password: password}),
            });
            return {status: r.status, body: await r.json()};
        }""",
        [name, NEW_PASSWORD],
    )
    assert signed_in["status"] == 200, signed_in
    assert signed_in["body"]["access_token"]
    old_password = {"username": name, "password": PASSWORD}
    old = api.post(f"{gateway_url}/api/v1/auth/login", data=old_password, timeout=10)
    assert old.status_code == 401
    assert problems == []

    # The same link again: the token worked once (the browser logs the API's 400 to the console).
    page.goto(answer.url)
    page.locator("#new-password").fill("yet another password")
    page.locator("#confirm-password").fill("yet another password")
    page.locator("#reset-form button").click()
    expect(page.locator("#status")).not_to_have_text("")
    expect(page.locator("#status")).to_have_attribute("data-outcome", "error")

"""The browser the end-to-end browser tests drive: Debian's Chromium through Playwright.

``/usr/bin/chromium`` is installed by ``install-browser.sh`` (``make test`` runs it); Playwright's own
browser download is never used, the system Chromium is launched through ``executable_path``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

INSTALL_SCRIPT = Path(__file__).with_name("install-browser.sh")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 30_000


def _chromium() -> str | None:
    """Debian's Chromium, installed now if it is missing and this machine allows it."""
    if not Path(CHROMIUM).exists():
        subprocess.run(["bash", str(INSTALL_SCRIPT)], check=False, timeout=600)
    return CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        pytest.skip(f"Chromium is not installed and {INSTALL_SCRIPT.name} could not install it (see above)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    expect.set_options(timeout=TIMEOUT_MS)
    opened = browser.new_context(viewport={"width": 1280, "height": 1600})
    opened.set_default_timeout(TIMEOUT_MS)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()

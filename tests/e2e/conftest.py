"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live server.

Skipped, with the reason, when /usr/bin/chromium is not installed; `.ci/run` installs it, so CI runs them.
Screenshots go to ``test-artifacts/`` (``E2E_ARTIFACTS`` overrides).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test.testcases import QuietWSGIRequestHandler

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
# The live server writes a response's headers and its body in two small packets; with Nagle's algorithm on,
# the second waits for the browser's delayed acknowledgement of the first, 40 ms on every request over a kept-
# alive connection (a page walk makes hundreds). Django's test server, not the application: set it off.
QuietWSGIRequestHandler.disable_nagle_algorithm = True
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts"))


def pytest_collection_modifyitems(config, items):
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """new_page() opens a fresh browser context (its own cookies) and returns its page; ``scripts=False``:
    without JavaScript; ``width``/``height``: the window (a phone: 360 × 800)."""
    contexts = []

    def _new_page(locale: str = "en-GB", *, scripts: bool = True, width: int = 1280, height: int = 900):
        context = browser.new_context(
            locale=locale, java_script_enabled=scripts, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def demo(transactional_db):
    """The demo organisation, built by the real seed_demo command."""
    call_command("seed_demo", verbosity=0)


@pytest.fixture
def log_in(live_server):
    """log_in(page, username) signs in through the real login form, password ``demo``, in English."""

    def _log_in(page, username: str, password: str = "demo", language: str = "en"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit] >> text=/Log in|Logg inn/")
        page.wait_for_load_state("networkidle")
        return page

    return _log_in


@pytest.fixture
def screenshot():
    """screenshot(page, name) saves a full-page PNG under test-artifacts/ and returns its path."""

    def _screenshot(page, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _screenshot


@pytest.fixture
def assert_accessible():
    """assert_accessible(page) runs axe-core and fails on serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def _assert(page) -> None:
        results = axe.run(page)
        bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        details = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
            for v in bad
        )
        assert not bad, f"axe-core found serious or critical violations:\n{details}"

    return _assert

"""Headless Chromium (Debian's) driven by Playwright against the live tool; screenshots go to docs/images."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "images"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test."""
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser(live_server: str) -> Iterator:  # type: ignore[type-arg]
    """One Chromium for the session."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("SBG_REQUIRE_SERVICES") == "1":
            pytest.fail("Chromium is not installed (apt-get install chromium).")
        pytest.skip("Chromium is not installed (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh browser context and page per test."""
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture()
def launch_as(page, live_server: str) -> Callable[..., object]:  # type: ignore[no-untyped-def]
    """Open the tool through a real LTI 1.3 launch from the built-in sandbox platform.

    `launch_as("student", user="sandbox-student-2", name="Lee Park")` launches as another sandbox user.
    """

    def _launch(role: str, user: str = "", name: str = ""):  # type: ignore[no-untyped-def]
        query = f"role={role}" + (f"&user={user}" if user else "") + (f"&name={name}" if name else "")
        page.goto(f"{live_server}/dev/platform/start?{query}")
        page.wait_for_url(lambda url: any(f"/{area}/" in url for area in ("student", "teacher", "admin"))
                          or "/lti/deep-link" in url, timeout=15000)
        return page

    return _launch


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """Where browser tests save the screenshots the docs show."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def save_screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page PNG for the docs."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


__all__ = ["save_screenshot", "shutil"]

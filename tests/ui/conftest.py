"""Browser fixtures: Debian's Chromium driven by Playwright against ``tracegraph serve``.

Locally the tests skip when Chromium or Playwright is missing; under ``CI=true`` they fail.
Screenshots go to ``build/ui-screenshots/``; every page fails its test on a console error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .served import ServedProcess, seed_run

CHROMIUM = Path(os.environ.get("TRACEGRAPH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "ui-screenshots"


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"UI tests need {why} under CI=true (.ci/run installs it)")
    pytest.skip(f"{why} is missing")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright (the dev extra)")
    if not CHROMIUM.exists():
        _unavailable(f"Chromium at {CHROMIUM} (apt-get install -y chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedProcess]:
    """A server seeded with three nested runs: run-a and run-b differ in one decision and one
    tool; run-t is the one a test tampers with."""
    server = ServedProcess(tmp_path_factory.mktemp("ui-store"))
    try:
        seed_run(server, "run-a", choice="search", tool="flights-api", tokens=100)
        seed_run(server, "run-b", choice="ask-user", tool="trains-api", tokens=250)
        seed_run(server, "run-t", choice="search", tool="flights-api", tokens=100)
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser: Any, served: ServedProcess, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page on the served UI; fails the test on any console error or page error."""
    context = browser.new_context(base_url=served.url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], errors

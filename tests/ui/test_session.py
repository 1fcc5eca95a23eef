"""The UI's session: an API key entered once (sessionStorage), the tenant shown, live new
runs over the subscription, light and dark themes."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .conftest import SCREENSHOTS
from .served import START_Q, ServedProcess


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServedProcess, str]]:
    """A server that requires API keys, with one key of tenant acme and one trace."""
    data_dir = tmp_path_factory.mktemp("ui-keyed")
    exe = Path(sys.executable).with_name("tracegraph")
    created = subprocess.run([str(exe), "keys", "create", "--tenant", "acme", "--data-dir",
                              str(data_dir)], capture_output=True, text=True, check=True)
    key = created.stdout.split()[0]
    server = ServedProcess(data_dir)
    server.http.headers["Authorization"] = f"Bearer {key}"
    server.gql(START_Q, {"i": {"traceId": "acme-run", "agentId": "planner"}})
    yield server, key
    server.stop()


@pytest.fixture
def keyed_page(browser: Any, keyed: tuple[ServedProcess, str]) -> Iterator[Any]:
    context = browser.new_context(base_url=keyed[0].url)
    page = context.new_page()
    yield page
    context.close()


def test_the_api_key_is_entered_once_and_the_tenant_is_shown(
        keyed_page: Any, keyed: tuple[ServedProcess, str]) -> None:
    page = keyed_page
    page.goto("/")
    expect(page.get_by_role("alert")).to_contain_text("Authorization")
    page.get_by_label("API key").fill(keyed[1])
    page.get_by_role("button", name="Use key").click()
    expect(page.locator("tr[data-trace='acme-run']")).to_be_visible()
    expect(page.get_by_test_id("tenant")).to_contain_text("acme")
    assert page.evaluate("sessionStorage.getItem('tracegraph.apiKey')") == keyed[1]
    page.reload()  # kept for the browser session
    expect(page.locator("tr[data-trace='acme-run']")).to_be_visible()
    page.goto("/#/run/acme-run")
    expect(page.get_by_test_id("tree").locator("[data-row='acme-run']")).to_be_visible()


def test_new_runs_of_a_session_arrive_live(page: Any, served: ServedProcess) -> None:
    page.goto("/#/?sessionId=live-session")
    expect(page.get_by_text("No traces match.")).to_be_visible()
    page.wait_for_timeout(500)  # the subscription is open
    served.gql(START_Q, {"i": {"traceId": "live-run", "sessionId": "live-session",
                               "agentId": "planner"}})
    expect(page.locator("tr[data-trace='live-run']")).to_be_visible(timeout=4000)


def test_themes_follow_the_system_and_the_toggle(browser: Any, served: ServedProcess) -> None:
    context = browser.new_context(base_url=served.url, color_scheme="dark")
    page = context.new_page()
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link is the first stop
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    expect(page.locator("body")).to_have_css("background-color", "rgb(20, 23, 28)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "trace-list-dark.png"), full_page=True)
    page.get_by_role("button", name="Switch to light theme").click()
    expect(page.locator("body")).to_have_css("background-color", "rgb(255, 255, 255)")
    assert page.evaluate("localStorage.getItem('tracegraph.theme')") == "light"
    page.reload()
    expect(page.locator("body")).to_have_css("background-color", "rgb(255, 255, 255)")
    context.close()


def test_new_runs_arrive_live_without_a_session_filter_and_without_polling(
        page: Any, served: ServedProcess) -> None:
    """tracesStarted puts a new trace on top of the list; the page is read once."""
    reads: list[str] = []
    page.on("request", lambda r: reads.append(r.post_data or "")
            if r.url.endswith("/graphql") and "query Traces" in (r.post_data or "") else None)
    page.goto("/")
    expect(page.locator("tr[data-trace='run-a']")).to_be_visible()
    page.wait_for_timeout(500)  # the subscription is open
    served.gql(START_Q, {"i": {"traceId": "live-any", "agentId": "scout"}})
    row = page.locator("table.traces tbody tr").first
    expect(row).to_have_attribute("data-trace", "live-any", timeout=4000)
    expect(row.get_by_test_id("verify-ok")).to_be_visible()
    page.goto("/#/?agentId=scout")  # filtered: only matching new traces arrive
    expect(page.locator("tr[data-trace='live-any']")).to_be_visible()
    page.wait_for_timeout(500)
    served.gql(START_Q, {"i": {"traceId": "live-other", "agentId": "planner"}})
    served.gql(START_Q, {"i": {"traceId": "live-scout", "agentId": "scout"}})
    expect(page.locator("tr[data-trace='live-scout']")).to_be_visible(timeout=4000)
    expect(page.locator("tr[data-trace='live-other']")).to_have_count(0)
    assert len(reads) == 2, reads  # one page read per filter: no polling

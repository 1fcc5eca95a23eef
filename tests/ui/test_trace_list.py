"""The trace list and GraphiQL in a real browser: served offline from the package."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect


def test_trace_list_shows_runs_with_status_and_verified_badges(page: Any) -> None:
    page.goto("/")
    rows = page.locator("table.traces tbody tr")
    expect(rows).to_have_count(9)
    row = page.locator("tr[data-trace='run-a']")
    expect(row.get_by_text("completed · success")).to_be_visible()
    expect(row.get_by_test_id("verify-ok")).to_be_visible()
    expect(page.get_by_test_id("tenant")).to_contain_text("default")


def test_filters_narrow_the_list_by_agent_model_and_roots(page: Any) -> None:
    page.goto("/")
    page.get_by_label("Agent").fill("fetcher")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("table.traces tbody tr")).to_have_count(3)
    page.goto("/#/?modelId=gpt-4o&rootsOnly=1")
    expect(page.locator("table.traces tbody tr")).to_have_count(3)
    page.goto("/#/?sessionId=run-b-session&status=COMPLETED")
    expect(page.locator("table.traces tbody tr")).to_have_count(3)
    expect(page.locator("tr[data-trace='run-a']")).to_have_count(0)


def test_keyboard_reaches_a_run_from_the_list(page: Any) -> None:
    page.goto("/#/?rootsOnly=1")
    link = page.get_by_role("link", name="run-a", exact=True)
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#/run/run-a$"))


def test_graphiql_loads_from_the_package_without_a_cdn(page: Any) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto("/graphql")
    expect(page.locator(".graphiql-container")).to_be_visible(timeout=20000)
    assert all(url.startswith(page.url.split("/graphql")[0]) for url in requested), requested

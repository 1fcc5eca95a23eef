"""The run view in a real browser: tree, DAG, step panel, lineage and path, tampering."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from playwright.sync_api import expect

from .conftest import SCREENSHOTS
from .served import START_Q, STEPS_Q, ServedProcess


def test_run_view_shows_the_nested_tree_and_the_dag_with_branches_not_taken(page: Any) -> None:
    page.goto("/#/run/run-a")
    tree = page.get_by_test_id("tree")
    for trace in ("run-a", "run-a-research", "run-a-fetch"):
        expect(tree.locator(f"[data-row='{trace}']")).to_be_visible()
    dag = page.get_by_test_id("dag")
    expect(dag.locator("[data-node='run-a-answer']")).to_be_visible()
    expect(dag.locator("g.node.alt")).to_have_count(2)  # ask-user and guess, not taken
    expect(dag.locator("path.edge.dep")).not_to_have_count(0)
    expect(dag.locator("path.edge.spawn")).to_have_count(2)
    expect(page.get_by_test_id("trace-panel").get_by_test_id("verify-ok")).to_be_visible()
    expect(page.get_by_test_id("trace-panel").get_by_test_id("verify-checkpoint")
           ).to_contain_text("no signed checkpoint yet")  # none signed yet in this server


def test_clicking_a_step_opens_its_panel(page: Any, served: ServedProcess) -> None:
    page.goto("/#/run/run-a")
    page.get_by_test_id("dag").locator("[data-node='run-a-decide']").click()
    panel = page.get_by_test_id("step-panel")
    expect(panel).to_contain_text("Decision")
    expect(panel).to_contain_text("search (chosen)")
    expect(panel).to_contain_text("gpt-4o")
    expect(panel).to_contain_text("openai")
    hashes = served.gql('{ trace(traceId: "run-a") { steps { stepId hash } } }')
    decide = next(s for s in hashes["trace"]["steps"] if s["stepId"] == "run-a-decide")
    expect(panel.get_by_test_id("step-hash")).to_have_text(decide["hash"])
    page.get_by_test_id("tree").locator("[data-row='run-a-fetch-get']").click()
    expect(page.get_by_test_id("step-panel")).to_contain_text("Economy?")


def test_tree_works_from_the_keyboard(page: Any) -> None:
    page.goto("/#/run/run-a")
    tree = page.get_by_test_id("tree")
    tree.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("step-panel")).to_contain_text("Observation")
    page.keyboard.press("Home")
    page.keyboard.press("ArrowLeft")  # collapse the root trace
    expect(tree.locator("[role='treeitem']")).to_have_count(1)
    page.keyboard.press("ArrowRight")
    expect(tree.locator("[role='treeitem']")).not_to_have_count(1)


def test_lineage_and_path_highlight_the_answer(page: Any) -> None:
    page.goto("/#/run/run-a?step=run-a-answer")
    page.get_by_role("button", name="Use as from").click()
    page.get_by_label("Direction").select_option("UP")
    page.get_by_role("button", name="Show lineage").click()
    expect(page.get_by_test_id("explore-answer")).to_contain_text("ancestors of run-a-answer")
    dag = page.get_by_test_id("dag")
    expect(dag.locator("[data-node='run-a-research-result']")).to_have_class("node step hl")
    page.get_by_label("From node").fill("run-a-observe")
    page.get_by_label("To node").fill("run-a-answer")
    page.get_by_role("button", name="Find path").click()
    expect(page.get_by_test_id("explore-answer")).to_contain_text("Path of")
    expect(dag.locator("g.node.hl")).not_to_have_count(0)


def test_badges_name_the_signed_checkpoint_verified_against_and_when(
        page: Any, served: ServedProcess) -> None:
    cp = served.gql("mutation { createCheckpoint { size keyId timestamp } }")["createCheckpoint"]
    page.goto("/#/?rootsOnly=1")
    note = page.locator("tr[data-trace='run-a']").get_by_test_id("verify-checkpoint")
    expect(note).to_have_text(re.compile(rf"^checkpoint #{cp['size']} · \d{{4}}-"))
    expect(note).to_have_attribute("title", re.compile(
        rf"^verified \d{{4}}-.* against signed checkpoint #{cp['size']} .*key {cp['keyId']}"))
    # without a mouse: the note takes the keyboard's focus and then spells the details out
    expect(note).to_have_attribute("aria-label", note.get_attribute("title") or "")
    note.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(note).to_be_focused()
    shown = note.evaluate("e => getComputedStyle(e, '::after').content")
    assert f"against signed checkpoint #{cp['size']}" in shown, shown
    page.goto("/#/run/run-a")
    for where in ("trace-panel", "session-verdict"):
        text = page.get_by_test_id(where).get_by_test_id("verify-checkpoint")
        expect(text).to_contain_text(f"against signed checkpoint #{cp['size']}")
        expect(text).to_contain_text(f"key {cp['keyId']}, signed {cp['timestamp'][:10]}")


def test_a_trace_tampered_in_the_store_shows_the_broken_badge(
        page: Any, served: ServedProcess) -> None:
    if not served.gql("{ checkpoints { size } }")["checkpoints"]:  # when run alone
        served.gql("mutation { createCheckpoint { size } }")
    db = sqlite3.connect(served.database, isolation_level=None)
    db.execute("DROP TRIGGER IF EXISTS entries_no_update")
    db.execute("UPDATE entries SET hash = ? WHERE trace_id = ? AND seq = ?",
               ("f" * 64, "run-t-research", 1))
    db.close()
    page.goto("/#/?sessionId=run-t-session")
    broken = page.locator("tr[data-trace='run-t-research']").get_by_test_id("verify-broken")
    expect(broken).to_contain_text("seq 1")
    expect(broken).to_contain_text("is not the entry logged at leaf")  # the reason
    expect(page.locator("tr[data-trace='run-t-research']").get_by_test_id("verify-checkpoint")
           ).to_contain_text("checkpoint #")
    expect(page.locator("tr[data-trace='run-t']").get_by_test_id("verify-ok")).to_be_visible()
    page.goto("/#/run/run-t")
    session = page.get_by_text("session broken")
    expect(session).to_contain_text("run-t-research")
    expect(session).to_contain_text("is not the entry logged at leaf")
    expect(page.get_by_test_id("session-verdict").get_by_test_id("verify-checkpoint")
           ).to_contain_text("against signed checkpoint #")
    expect(page.get_by_test_id("tree").locator("[data-row='run-t-research'] .badge.broken")
           ).to_be_visible()


def test_diff_shows_the_changed_decision_tool_calls_and_deltas(page: Any) -> None:
    page.goto("/#/diff?a=run-a")
    page.get_by_label("Run B (trace id)").fill("run-b")
    page.get_by_role("button", name="Compare").click()
    decisions = page.get_by_test_id("diff-decisions")
    expect(decisions).to_contain_text("A chose search, B chose ask-user")
    tools = page.get_by_test_id("diff-tools")
    expect(tools).to_contain_text("trains-api: 1 call(s), only in B")
    expect(tools).to_contain_text("flights-api: 1 call(s), only in A")
    expect(page.get_by_test_id("diff")).to_contain_text("+150")  # input tokens 100 -> 250
    expect(page.get_by_test_id("diff-steps").locator("tr.diff-changed")).not_to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "diff-view.png"), full_page=True)
    page.get_by_test_id("diff-decisions").get_by_role("link", name="run-b-decide").click()
    expect(page.get_by_test_id("step-panel")).to_contain_text("ask-user (chosen)")


def test_a_long_run_draws_the_graph_a_page_at_a_time_following_the_selection(
        page: Any, served: ServedProcess) -> None:
    served.gql(START_Q, {"i": {"traceId": "run-long", "agentId": "looper"}})
    served.gql(STEPS_Q, {"t": "run-long", "s": [
        {"stepId": f"long-{i}", "stepType": "Reasoning", "content": f"thought {i}"}
        for i in range(150)]})
    page.goto("/#/run/run-long")
    dag = page.get_by_test_id("dag")
    expect(dag.locator("g.node.step")).to_have_count(39)  # 40 rows: the trace's and 39 steps
    expect(page.get_by_text("rows 1 to 40 of 151")).to_be_visible()
    page.get_by_test_id("tree").focus()
    page.keyboard.press("End")
    expect(page.get_by_text("rows 121 to 151 of 151")).to_be_visible()
    expect(dag.locator("[data-node='long-149']")).to_be_visible()
    expect(page.get_by_test_id("step-panel")).to_contain_text("thought 149")
    page.get_by_role("button", name="Earlier steps").click()
    expect(dag.locator("[data-node='long-100']")).to_be_visible()


def test_a_run_is_read_once_before_the_first_render_and_marks_its_first_paint(
        page: Any) -> None:
    """The run query starts at page load (not after the first frame) and is not sent again
    by the view; the Performance API marks that bench/ui.py reads come in order."""
    queries: list[str] = []
    page.on("request", lambda r: queries.append(r.post_data or "")
            if r.url.endswith("/graphql") and "runTree" in (r.post_data or "") else None)
    page.goto("/#/run/run-a")
    expect(page.locator("body[data-run-painted]")).to_have_count(1)
    marks = page.evaluate("performance.getEntriesByType('mark').map((m) => m.name)")
    order = ["tg:run-query", "tg:run-received", "tg:layout-start", "tg:layout-end",
             "tg:run-committed", "tg:first-frame", "tg:run-painted"]
    assert [m for m in marks if m in order][:len(order)] == order, marks
    assert len(queries) == 1, queries
    page.get_by_role("link", name="tracegraph").click()  # another run later: read again
    page.get_by_role("link", name="run-b", exact=True).click()
    expect(page.get_by_test_id("tree").locator("[data-row='run-b']")).to_be_visible()
    assert len(queries) == 2, queries

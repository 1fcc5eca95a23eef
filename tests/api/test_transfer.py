"""Export a tenant as JSON Lines and import it into another store: every hash kept, the graph
the same, an interrupted import resumed, a changed or cut file refused with its line named."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from tracegraph.api.cli import main
from tracegraph.api.service import TraceService
from tracegraph.api.service.transfer import ImportFailed, export_lines, import_lines
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

T = "t1"


def _history(svc: TraceService) -> dict[str, list[str]]:
    """A removed trace, a parent with a nested child that depends on the parent's step, calls,
    a human input, an active trace and another tenant's trace; returns the kept traces."""
    old = svc.start_trace(T, StartTraceInput(session_id="s0", goal="old"))
    svc.record_steps(T, old.trace_id, [StepInput(step_type="Reasoning", content="gone")])
    svc.complete_trace(T, old.trace_id, CompleteTraceInput(outcome="success"))
    assert len(svc.apply_retention(T, 0).removed) == 1
    p = svc.start_trace(T, StartTraceInput(session_id="s1", agent_id="boss", goal="plan"))
    a, b = svc.record_steps(T, p.trace_id, [
        StepInput(step_type="Reasoning", content="think", step_id="p-a",
                  alternatives_considered=["x", "y"], selected_alternative="x"),
        StepInput(step_type="Decision", content="decide", step_id="p-b", depends_on=["p-a"])])
    c = svc.start_trace(T, StartTraceInput(parent_trace_id=p.trace_id, agent_id="worker"))
    svc.record_steps(T, c.trace_id, [StepInput(step_type="Action", content="act",
                                               step_id="c-a", depends_on=["p-b"])])
    svc.record_api_call(T, c.trace_id, ApiCallInput(step_id="c-a", api_type="llm",
                                                    endpoint="/v1/chat", cost_usd=0.01))
    svc.record_human_input(T, p.trace_id, HumanInputInput(question="ok?", answer="yes"))
    svc.complete_trace(T, c.trace_id, CompleteTraceInput(outcome="success"))
    svc.record_steps(T, p.trace_id, [StepInput(step_type="FinalAnswer", content="done")])
    svc.complete_trace(T, p.trace_id, CompleteTraceInput(outcome="success"))
    q = svc.start_trace(T, StartTraceInput(session_id="s2"))
    svc.record_steps(T, q.trace_id, [StepInput(step_type="Reasoning", content="still going")])
    svc.start_trace("t2", StartTraceInput(session_id="s1", goal="not exported"))
    assert a.step_id == "p-a" and b.step_id == "p-b"
    return {"s1": [p.trace_id, c.trace_id], "s2": [q.trace_id]}


def _export(svc: TraceService) -> list[bytes]:
    return [orjson.dumps(line) + b"\n" for line in export_lines(svc, T)]


@pytest.fixture
def source(tmp_path: Path) -> tuple[TraceService, dict[str, list[str]]]:
    svc = TraceService(EmbeddedStore(tmp_path / "a"))
    return svc, _history(svc)


def test_an_import_keeps_every_hash_the_graph_and_verifies(
        source: tuple[TraceService, dict[str, list[str]]], tmp_path: Path) -> None:
    src, sessions = source
    lines = _export(src)
    kinds = [json.loads(x)["type"] for x in lines]
    assert kinds[0] == "export" and kinds[-1] == "end"
    assert kinds.count("tombstone") == 1 and kinds.count("removed_entry") == 3
    dst = TraceService(EmbeddedStore(tmp_path / "b"))
    seen: list[int] = []
    report = import_lines(dst, lines, seen.append)
    traces = [t for ts in sessions.values() for t in ts]
    want = src.store.entries(T, traces)
    got = dst.store.entries(T, traces)
    assert {t: [e.hash for e in es] for t, es in got.items()} == \
        {t: [e.hash for e in es] for t, es in want.items()}
    n = sum(len(es) for es in want.values())
    assert report.as_dict() == {"tenant_id": T, "entries_stored": n,
                                "entries_already_present": 0, "traces": 3,
                                "tombstones_restored": 1, "tombstones_already_present": 0,
                                "removed_entries": 3}
    assert sum(seen) == n
    # the removed trace's 3 entry records and tombstone come first, as in the source: here
    # the import rebuilds the source's log leaf for leaf
    assert dst.store.log_head(T) == src.store.log_head(T)  # type: ignore[attr-defined]
    for session in sessions:
        assert dst.verify_session(T, session).valid
    for node in ("p-a", "p-b", "c-a"):
        for direction in ("out", "in"):
            assert sorted(dst.store.edges(T, [node], direction)) == \
                sorted(src.store.edges(T, [node], direction))
    assert dst.store.get_traces("t2", ["x"]) == {}  # another tenant stays behind
    # running it again stores nothing twice
    gone = json.loads(next(x for x in lines if b'"tombstone"' in x))["tombstone"]
    assert [t.hash for t in dst.store.tombstones(T, gone["session_id"])] == [gone["hash"]]
    assert dst.verify_session(T, gone["session_id"]).valid
    assert len(dst.store.leaves_of_traces(T, [gone["trace_id"]])) == 4  # type: ignore[attr-defined]
    again = import_lines(dst, lines)
    assert again.entries_stored == 0 and again.entries_already_present == n
    assert again.tombstones_restored == 0 and again.tombstones_already_present == 1


def test_a_cut_import_is_resumed_by_importing_the_whole_file_again(
        source: tuple[TraceService, dict[str, list[str]]], tmp_path: Path) -> None:
    src, sessions = source
    lines = _export(src)
    dst = TraceService(EmbeddedStore(tmp_path / "b"))
    with pytest.raises(InvalidInput, match="no end line: it was cut short"):
        import_lines(dst, lines[:9])
    # (the log also holds the removed trace's 3 entry records and its tombstone)
    partial = dst.store.log_head(T).size - 4  # type: ignore[attr-defined]
    assert partial > 0
    report = import_lines(dst, lines)
    assert report.entries_already_present == partial
    for session in sessions:
        assert dst.verify_session(T, session).valid


def test_a_changed_line_is_refused_naming_the_line_and_nothing_after_it_is_stored(
        source: tuple[TraceService, dict[str, list[str]]], tmp_path: Path) -> None:
    src, _ = source
    lines = _export(src)
    i = next(i for i, x in enumerate(lines) if b'"content":"decide"' in x)
    changed = [*lines[:i], lines[i].replace(b'"content":"decide"', b'"content":"DECIDE"'),
               *lines[i + 1:]]
    dst = TraceService(EmbeddedStore(tmp_path / "b"))
    with pytest.raises(InvalidInput, match=f"line {i + 1}: entry 2 of trace .*: hash does not"):
        import_lines(dst, changed)
    assert dst.store.entries_at(T, [(json.loads(lines[i])["entry"]["trace_id"], 2)]) == {}
    for bad, why in ((b"{not json\n", "line 1: not JSON"),
                     (b'{"type": "entry"}\n', "line 1: entry.leaf_index: Field required")):
        with pytest.raises(InvalidInput, match=why):
            import_lines(dst, [bad])
    with pytest.raises(InvalidInput, match="line 1: the file does not begin with an export"):
        import_lines(dst, lines[1:])


def test_an_import_refuses_a_target_holding_another_chain_of_the_same_trace(
        source: tuple[TraceService, dict[str, list[str]]], tmp_path: Path) -> None:
    src, sessions = source
    dst = TraceService(EmbeddedStore(tmp_path / "b"))
    q = sessions["s2"][0]
    dst.start_trace(T, StartTraceInput(session_id="elsewhere", trace_id=q))
    with pytest.raises(ImportFailed, match=f"trace {q} already holds a different entry 0"):
        import_lines(dst, _export(src))


def test_the_cli_exports_and_imports_with_progress(
        source: tuple[TraceService, dict[str, list[str]]], tmp_path: Path) -> None:
    src, sessions = source
    src.close()
    out = tmp_path / "t1.jsonl"
    runner = CliRunner()
    done = runner.invoke(main, ["export", "--tenant", T, "--data-dir", str(tmp_path / "a"),
                                "-o", str(out)])
    assert done.exit_code == 0, done.output
    imported = runner.invoke(main, ["import", str(out), "--data-dir", str(tmp_path / "c")])
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.stdout[imported.stdout.index("{"):])
    assert report["traces"] == 3 and report["tombstones_restored"] == 1
    dst = TraceService(EmbeddedStore(tmp_path / "c"))
    assert all(dst.verify_session(T, s).valid for s in sessions)

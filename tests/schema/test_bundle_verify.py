"""The offline bundle verifier on hand-made bundles: structure errors, scopes, every code."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tracegraph.schema.bundle import write_bundle
from tracegraph.schema.bundle_verify import BundleReport, verify_bundle, verify_bundle_lines
from tracegraph.schema.chain import GENESIS_PREV_HASH, seal_many
from tracegraph.schema.checkpoint import CheckpointSigner
from tracegraph.schema.merkle_leaf import TombstoneLeaf
from tracegraph.schema.merkle_log import TenantLog

STAMP = "2026-12-04T16:00:00.000000Z"
SIGNER = CheckpointSigner.from_seed(bytes(range(32)))


def make_log(traces: int = 2, steps: int = 3, completed: bool = True) -> TenantLog:
    log = TenantLog("ten", "tracegraph")
    for t in range(traces):
        items: list[tuple[str, dict[str, Any]]] = [("trace_started", {"session_id": f"s{t % 2}"})]
        items += [("step", {"step_id": f"t{t}-{i}", "step_index": i}) for i in range(steps)]
        if completed:
            items.append(("trace_completed", {"status": "completed"}))
        log.append_entries(f"s{t % 2}", seal_many("ten", f"tr{t}", 0, GENESIS_PREV_HASH, items))
    return log


def lines_of(log: TenantLog, scope: str = "tenant", scope_id: str | None = None,
             ) -> list[dict[str, Any]]:
    return list(log.bundle(SIGNER, [SIGNER.key], scope, scope_id, STAMP))  # type: ignore[arg-type]


def check(lines: list[Any]) -> BundleReport:
    raw = [x if isinstance(x, bytes) else json.dumps(x).encode() for x in lines]
    return verify_bundle_lines(raw)


def codes(report: BundleReport) -> list[tuple[str, str | None, int | None]]:
    return [(p.code, p.trace_id, p.seq) for p in report.problems]


def entry_at(lines: list[dict[str, Any]], trace: str, seq: int) -> dict[str, Any]:
    return next(x for x in lines if x["type"] == "entry" and x["entry"]["trace_id"] == trace
                and x["entry"]["seq"] == seq)


def test_a_tenant_bundle_written_to_a_file_verifies(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    with path.open("wb") as f:
        assert write_bundle(f, lines_of(make_log())) == 3 + 10
    report = verify_bundle(path)
    assert report.valid, report.text()
    assert (report.entries_checked, len(report.traces)) == (10, 2)
    assert "VALID" in report.text() and "signed by" in report.text()


@pytest.mark.parametrize("bad, message", [
    (b"not json", "line"),
    (b'{"type": "entry"}', "entry.leaf_index"),
    (b'{"type": "mystery"}', "type"),
])
def test_a_malformed_line_is_named_and_the_rest_still_checked(bad: bytes, message: str) -> None:
    lines: list[Any] = lines_of(make_log())
    lines.insert(4, bad)
    report = check(lines)
    assert [p.code for p in report.problems] == ["malformed"]
    assert report.problems[0].line == 5 and message in report.problems[0].message
    assert report.entries_checked == 10


def test_numbers_are_not_coerced_and_unknown_members_refused() -> None:
    lines = lines_of(make_log())
    entry_at(lines, "tr0", 1)["entry"]["seq"] = "1"
    entry_at(lines, "tr1", 1)["extra"] = True
    report = check(lines)
    malformed = [(p.line, p.message) for p in report.problems if p.code == "malformed"]
    assert [line for line, _ in malformed] == [5, 10]
    assert "entry.seq" in malformed[0][1] and "extra" in malformed[1][1]
    # a refused line is not in the chain: the chain then misses that seq
    assert ("entry_missing", "tr0", 1) in codes(report)


@pytest.mark.parametrize("drop, message", [(0, "first line"), (2, "follow the checkpoint")])
def test_header_and_checkpoint_are_required_first(drop: int, message: str) -> None:
    lines = lines_of(make_log())
    del lines[drop]
    report = check(lines)
    assert report.problems[0].code == "malformed" and message in report.problems[0].message


def test_empty_bundle_and_bundle_without_items() -> None:
    assert [p.message for p in check([]).problems] == ["the bundle is empty"]
    lines = lines_of(make_log(), "session", "s0")[:3]
    assert check(lines).valid  # a session bundle proves what it holds: here nothing
    lines = lines_of(make_log())[:3]  # a tenant bundle must hold every leaf
    assert [(p.code, p.message) for p in check(lines).problems] == [
        ("missing_leaf", "leaves 0-9 of the signed log are not in the bundle: a record was "
                         "deleted")]


def test_a_trace_bundle_without_its_trace_is_missing_trace() -> None:
    lines = lines_of(make_log(), "trace", "tr9")
    assert codes(check(lines)) == [("missing_trace", "tr9", None)]


def test_items_outside_the_scope_and_tenant() -> None:
    log = make_log()
    lines = lines_of(log, "session", "s0")
    assert check(lines).valid and {x["entry"]["trace_id"] for x in lines[3:]} == {"tr0"}
    other = lines_of(log)
    mixed = [*lines, entry_at(other, "tr1", 0)]
    assert ("out_of_scope", "tr1", 0) in codes(check(mixed))
    lines[0]["tenant_id"] = "other"
    got = {c for c, _, _ in codes(check(lines))}
    assert got == {"wrong_tenant"}


def test_entries_of_a_trace_must_be_consecutive_and_logged_in_seq_order() -> None:
    lines = lines_of(make_log())
    moved = entry_at(lines, "tr0", 4)
    lines.remove(moved)
    lines.append(moved)
    report = check(lines)
    assert ("malformed", "tr0", 4) in codes(report)


def test_leaf_order_is_checked() -> None:
    log = TenantLog("ten", "tracegraph")
    entries = seal_many("ten", "tr0", 0, GENESIS_PREV_HASH,
                        [("trace_started", {"session_id": "s"}), ("step", {"step_index": 0})])
    log.append_entries("s", entries[1:])  # the log took seq 1 first
    log.append_entries("s", entries[:1])
    report = check(lines_of(log))
    assert codes(report) == [("leaf_order", "tr0", 1)]


def test_a_tombstone_that_disagrees_with_the_chain_it_removed() -> None:
    log = make_log(traces=1)
    chain = [e for _, e in log.entries.values()]
    lines = lines_of(log)
    log.append_tombstone(TombstoneLeaf.sealed("ten", "s0", "tr0", len(chain) - 1,
                                              chain[-2].hash, STAMP))
    tomb = lines_of(log)[-1]
    # the bundle holds the whole chain (from before retention) and a tombstone for less
    lines[2] = lines_of(log)[2]
    for x in lines[3:]:
        x["proof"] = [p.hex() for p in log.tree.inclusion_proof(x["leaf_index"])]
    report = check([*lines, tomb])
    assert codes(report) == [("tombstone_mismatch", "tr0", None)]
    assert report.traces[0].tombstoned


def test_problems_are_capped() -> None:
    lines = lines_of(make_log(traces=1, steps=30))
    for x in lines[3:]:
        x["proof"] = []
    raw = [json.dumps(x).encode() for x in lines]
    report = verify_bundle_lines(raw, max_problems=5)
    assert len(report.problems) == 5 and report.problems_omitted == 27
    assert not report.valid and "27 more" in report.text()


def test_bundle_lines_are_plain_json_lines() -> None:
    buf = io.BytesIO()
    write_bundle(buf, lines_of(make_log()))
    text = buf.getvalue().decode()
    assert text.endswith("\n") and all(json.loads(line) for line in text.splitlines())


MUTATIONS = ["record", "seq", "prev_hash", "hash", "kind", "session", "leaf_index", "proof",
             "delete", "duplicate", "swap_in_trace"]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(MUTATIONS), st.data())
def test_any_change_to_a_tenant_bundle_is_found(mutation: str, data: st.DataObject) -> None:
    log = make_log(traces=3, steps=4, completed=data.draw(st.booleans()))
    lines = lines_of(log)
    entries = [i for i, x in enumerate(lines) if x["type"] == "entry"]
    at = data.draw(st.sampled_from(entries))
    x = lines[at]
    e = x["entry"]
    if mutation == "record":
        e["record"]["tampered"] = True
    elif mutation == "seq":
        e["seq"] += 1
    elif mutation == "prev_hash":
        e["prev_hash"] = "f" * 64
    elif mutation == "hash":
        e["hash"] = "e" * 64
    elif mutation == "kind":
        e["kind"] = "human_input" if e["kind"] != "human_input" else "step"
    elif mutation == "session":
        x["session_id"] = "elsewhere"
    elif mutation == "leaf_index":
        x["leaf_index"] = (x["leaf_index"] + 1) % log.tree.size
    elif mutation == "proof":
        x["proof"][0] = x["proof"][0][:-1] + ("0" if x["proof"][0][-1] != "0" else "1")
    elif mutation == "delete":
        del lines[at]
    elif mutation == "duplicate":
        lines.insert(at, json.loads(json.dumps(x)))
    else:
        partner = at + 1 if at + 1 in entries and lines[at + 1]["entry"]["trace_id"] == \
            e["trace_id"] else at - 1
        lines[at], lines[partner] = lines[partner], lines[at]
    report = check(lines)
    assert not report.valid, mutation

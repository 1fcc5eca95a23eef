"""The tamper matrix of issue 14: each change an attacker with write access to the database
makes, through the database's own language, is reported invalid with the right reason.

Every case builds a session of two traces (a completed one and a child), signs a checkpoint,
tampers through the backend harness (SQL on the SQLite file, Cypher, DQL), reopens the store
and verifies the trace, the session and the tenant through the service layer
(:class:`~tracegraph.api.service.audit.AuditService`). A backend whose harness has no raw
log tamper operations yet is skipped with its reason (``Harness.log_tamper_missing``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.audit import AuditService
from tracegraph.api.service.bundles import bundle
from tracegraph.api.service.signing import LogSigning
from tracegraph.schema import log_audit as codes
from tracegraph.schema.bundle import write_bundle
from tracegraph.schema.bundle_verify import verify_bundle
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput
from tracegraph.schema.views import ChainVerification

from .builders import small_trace
from .harness import Harness


@dataclass
class World:
    harness: Harness
    signing: LogSigning
    tenant: str
    trace: str
    child: str
    steps: list[str]

    def audit(self) -> AuditService:
        return AuditService(TraceService(self.harness.open()), self.signing)


@pytest.fixture
def world(harness: Harness, tenant: str, tmp_path: Path) -> World:
    if harness.log_tamper_missing is not None:
        pytest.skip(f"{harness.name}: {harness.log_tamper_missing}")
    signing = LogSigning.load(key_dir=tmp_path / "keys", environ={})
    audit = AuditService(TraceService(harness.open()), signing)
    service = audit.service
    t = small_trace(service, tenant, session="s1", steps=3)
    child = service.start_trace(tenant, StartTraceInput(session_id="s1", agent_id="agent-2",
                                                        parent_trace_id=t.trace_id))
    service.record_steps(tenant, child.trace_id, [StepInput(step_type="Action", content="go")])
    service.complete_trace(tenant, child.trace_id, CompleteTraceInput(outcome="success"))
    audit.create_checkpoint(tenant)
    steps = [s.step_id for s in service.steps(tenant, [t.trace_id])[t.trace_id]]
    return World(harness, signing, tenant, t.trace_id, child.trace_id, steps)


def _verified(w: World) -> dict[str, ChainVerification]:
    w.harness.reopen()  # no cache of the store that wrote keeps the old rows
    audit = w.audit()
    return {"trace": audit.verify_trace(w.tenant, w.trace),
            "session": audit.verify_session(w.tenant, "s1"),
            "tenant": audit.verify_tenant(w.tenant)}


def test_untampered_log_verifies_against_the_signed_checkpoint(world: World) -> None:
    for scope, result in _verified(world).items():
        assert result.valid, (scope, result.reason)
        assert result.checkpoint is not None and result.checkpoint.size == 11, scope
        assert result.log_checked and result.entries_not_checkpointed == 0


Tamper = Callable[[World], None]
CASES: dict[str, tuple[Tamper, str, int | None, str]] = {
    "rewrite chain from entry 2 and move the head": (
        lambda w: w.harness.rewrite_from(w.trace, 2, "content", "forged"),
        codes.CONTENT_CHANGED, 2, "entry 2"),
    "rewrite entries and their log leaves": (
        lambda w: w.harness.rewrite_from(w.trace, 2, "content", "forged", with_leaves=True),
        codes.NOT_IN_SIGNED_TREE, 2, "not in the signed checkpoint"),
    "cut the tail (reads active again)": (
        lambda w: w.harness.cut_tail(w.trace, 3), codes.ENTRY_MISSING, 3, "entry 3"),
    "chained step after completion": (
        lambda w: w.harness.append_after_completion(
            w.trace, {"step_id": "forged-step", "step_type": "Action", "step_index": 9,
                      "created_at": "2026-01-01T00:00:00.000000Z"}),
        codes.ENTRY_AFTER_COMPLETION, 8, "completion is terminal"),
    "delete a whole trace": (
        lambda w: w.harness.delete_trace(w.trace), codes.MISSING_TRACE, 0, "deleted"),
    "hand tombstone, then delete the entries": (
        lambda w: w.harness.forge_tombstone(w.trace), codes.FORGED_TOMBSTONE, None,
        "tombstone"),
    "change the trace's status": (
        lambda w: w.harness.set_trace_column(w.trace, "status", "failed"),
        codes.DERIVED_ROW, None, "status"),
    "change the trace's session": (
        lambda w: w.harness.set_trace_column(w.trace, "session_id", "elsewhere"),
        codes.DERIVED_ROW, None, "session"),
    "add an edge no record holds": (
        lambda w: w.harness.add_edge(w.tenant, w.steps[0], w.steps[2], "DEPENDS_ON"),
        codes.DERIVED_ROW, None, "no hashed record holds it"),
    "delete an edge a record holds": (
        lambda w: w.harness.delete_edges(w.tenant, w.steps[3], "DEPENDS_ON"),
        codes.DERIVED_ROW, None, "is not stored"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tamper_is_reported_with_reason_and_place(world: World, case: str) -> None:
    tamper, code, seq, words = CASES[case]
    tamper(world)
    for scope, result in _verified(world).items():
        assert not result.valid, (case, scope)
        first = result.problems[0]
        if scope == "tenant" and code == codes.NOT_IN_SIGNED_TREE:
            assert first.code == codes.ROOT_MISMATCH, (scope, result.problems)
            assert first.trace_id == world.trace and "leaf" in first.message
            continue
        assert first.code == code, (case, scope, result.problems)
        assert first.trace_id == world.trace, (case, scope, first)
        assert words in first.message, (case, scope, first.message)
        if code == codes.NOT_IN_SIGNED_TREE:
            # a forged leaf also breaks the proofs of its neighbours (their proofs fold its
            # hash): the first leaf whose proof fails is named, at or before the forged one
            assert first.seq is not None and first.seq <= 2, first
        elif seq is not None:
            assert first.seq == seq and result.first_broken_seq == seq, (case, scope, first)
        assert result.reason is not None and first.message in result.reason


def test_changed_parent_row_is_reported_on_the_child(world: World) -> None:
    world.harness.set_trace_column(world.child, "parent_trace_id", "someone-else")
    world.harness.reopen()
    result = world.audit().verify_trace(world.tenant, world.child)
    assert not result.valid and result.problems[0].code == codes.DERIVED_ROW
    assert "parent" in result.problems[0].message


def test_entries_after_the_checkpoint_are_checked_but_not_yet_signed(world: World) -> None:
    audit = world.audit()
    extra = small_trace(audit.service, world.tenant, session="s1", steps=1)
    result = audit.verify_trace(world.tenant, extra.trace_id)
    assert result.valid and result.entries_not_checkpointed == result.entries_checked > 0
    assert audit.verify_tenant(world.tenant).valid


def test_retention_leaves_a_log_that_verifies_and_bundles(world: World, tmp_path: Path) -> None:
    audit = world.audit()
    removed = audit.service.apply_retention(world.tenant, 0)
    assert {t.trace_id for t in removed.removed} == {world.trace, world.child}
    for result in (audit.verify_trace(world.tenant, world.trace),
                   audit.verify_session(world.tenant, "s1"), audit.verify_tenant(world.tenant)):
        assert result.valid, result.problems
        assert result.reason is not None and "removed by retention" in result.reason
    audit.create_checkpoint(world.tenant)  # the tombstones' leaves extend the signed log
    out = tmp_path / "tenant.jsonl"
    with out.open("wb") as f:
        write_bundle(f, bundle(audit, world.tenant, "tenant", None))
    report = verify_bundle(out, trusted_keys=world.signing.keys.verification_keys)
    assert report.valid and report.key_trusted, [str(p) for p in report.problems]
    assert report.tombstones_checked == 2


def test_export_bundle_of_each_scope_verifies_offline(world: World, tmp_path: Path) -> None:
    audit = world.audit()
    for scope, scope_id in (("trace", world.trace), ("session", "s1"), ("tenant", None)):
        out = tmp_path / f"{scope}.jsonl"
        with out.open("wb") as f:
            write_bundle(f, bundle(audit, world.tenant, scope, scope_id))  # type: ignore[arg-type]
        report = verify_bundle(out, trusted_keys=world.signing.keys.verification_keys)
        assert report.valid, (scope, [str(p) for p in report.problems])
        assert report.entries_checked == {"trace": 8, "session": 11, "tenant": 11}[scope]


def test_verification_while_appending_reports_no_tampering(world: World) -> None:
    writer = world.audit().service
    active = writer.start_trace(world.tenant, StartTraceInput(session_id="s1",
                                                              agent_id="busy"))
    stop = threading.Event()
    errors: list[BaseException] = []

    def append() -> None:
        try:
            while not stop.is_set():
                writer.record_steps(world.tenant, active.trace_id,
                                    [StepInput(step_type="Action", content="tick")])
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=append)
    thread.start()
    try:
        reader = world.audit()
        for _ in range(5):
            for result in (reader.verify_trace(world.tenant, active.trace_id),
                           reader.verify_session(world.tenant, "s1"),
                           reader.verify_tenant(world.tenant)):
                assert result.valid, result.problems
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert len(writer.steps(world.tenant, [active.trace_id])[active.trace_id]) > 0

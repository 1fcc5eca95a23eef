"""Durability of the embedded store: a restart finds everything, and so does ``kill -9``.

The SIGKILL test runs a writer in a child process that prints each entry only after the call
that stored it returned; the test kills it mid-ingest, several rounds in the same folder, and
then checks that every acknowledged entry is stored as acknowledged and every chain verifies.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.protocol import TraceFilter
from tracegraph.schema.errors import TraceClosed
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)

TENANT = "acme"
ROOT = Path(__file__).resolve().parents[2]
ID_KEYS = {"step": "step_id", "api_call": "call_id", "human_input": "input_id"}


def snapshot(service: TraceService) -> dict[str, Any]:
    """Everything a reader can see of the tenant, through the service."""
    traces = service.list_traces(TENANT, TraceFilter(), first=100).traces
    ids = [t.trace_id for t in traces]
    return {
        "traces": traces,
        "steps": service.steps(TENANT, ids),
        "calls": service.api_calls(TENANT, ids),
        "humans": service.human_inputs(TENANT, ids),
        "children": service.children(TENANT, ids),
        "totals": service.totals(TENANT, ids),
        "verify": {t: service.verify_trace(TENANT, t) for t in ids},
        "session": service.replay_session(TENANT, "sess-a"),
    }


def build(service: TraceService) -> tuple[str, str]:
    root = service.start_trace(TENANT, StartTraceInput(session_id="sess-a", goal="root"))
    steps = service.record_steps(TENANT, root.trace_id, [
        StepInput(step_type="PlanStep", content=f"plan {i} ✓", input_data={"i": i},
                  alternatives_considered=["a", "b"], selected_alternative="a",
                  model_id="m1", input_tokens=10, output_tokens=2)
        for i in range(25)])
    child = service.start_trace(TENANT, StartTraceInput(
        parent_trace_id=root.trace_id, spawned_by_step_id=steps[3].step_id, goal="child"))
    service.record_steps(TENANT, child.trace_id, [
        StepInput(step_type="Action", content="do", depends_on=[steps[0].step_id])])
    service.record_api_call(TENANT, child.trace_id, ApiCallInput(cost_usd=0.5))
    service.record_human_input(TENANT, root.trace_id, HumanInputInput(question="q", answer="a"))
    service.complete_trace(TENANT, child.trace_id, CompleteTraceInput(outcome="success"))
    return root.trace_id, child.trace_id


def test_restart_finds_everything(data_dir: Path) -> None:
    store = EmbeddedStore(data_dir)
    service = TraceService(store)
    root, child = build(service)
    before = snapshot(service)
    store.close()

    again = EmbeddedStore(data_dir)
    service = TraceService(again)
    after = snapshot(service)
    assert after == before
    assert all(v.valid for v in after["verify"].values())
    assert service.verify_session(TENANT, "sess-a").valid
    assert after["children"][root] == [child]
    # the chain continues where it stopped: seq and step_index, and the closed trace stays closed
    head = service.get_trace(TENANT, root)
    assert head is not None
    (more,) = service.record_steps(TENANT, root, [StepInput(step_type="Summary")])
    assert (more.seq, more.step_index) == (head.entry_count, 25)
    assert more.prev_hash == head.head_hash
    with pytest.raises(TraceClosed):
        service.record_steps(TENANT, child, [StepInput(step_type="Summary")])
    again.close()

    third = TraceService(EmbeddedStore(data_dir))
    assert third.verify_trace(TENANT, root).valid
    assert len(third.steps(TENANT, [root])[root]) == 26
    third.store.close()


def test_two_stores_on_one_folder_see_each_other(data_dir: Path) -> None:
    a, b = EmbeddedStore(data_dir), EmbeddedStore(data_dir)
    sa, sb = TraceService(a), TraceService(b)
    t = sa.start_trace(TENANT, StartTraceInput(goal="shared"))
    sb.record_steps(TENANT, t.trace_id, [StepInput(step_type="Observation")])
    sa.record_steps(TENANT, t.trace_id, [StepInput(step_type="Decision")])
    assert [s.step_type for s in sb.steps(TENANT, [t.trace_id])[t.trace_id]] == [
        "Observation", "Decision"]
    assert sb.verify_trace(TENANT, t.trace_id).valid
    a.close()
    b.close()


def test_nothing_lives_only_in_memory(data_dir: Path) -> None:
    """The database file alone (copied elsewhere, WAL included) holds everything."""
    store = EmbeddedStore(data_dir)
    service = TraceService(store)
    build(service)
    before = snapshot(service)
    copy = data_dir.parent / "copy"
    copy.mkdir()
    for f in data_dir.iterdir():  # the open database, its WAL and shared memory, as they are
        (copy / f.name).write_bytes(f.read_bytes())
    store.close()
    assert snapshot(TraceService(EmbeddedStore(copy))) == before


# -- kill -9 ----------------------------------------------------------------------------------

def run_and_kill(data_dir: Path, round_no: int, acks_before_kill: int) -> list[list[str]]:
    """Start a writer, kill it with SIGKILL once it acknowledged enough; return its acks."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.graph.workers", "ingest", str(data_dir), str(round_no)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
    assert proc.stdout is not None and proc.stderr is not None
    acks: list[list[str]] = []
    buf = b""
    deadline = time.monotonic() + 60
    while len(acks) < acks_before_kill:
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"writer stopped early: {proc.stderr.read().decode()[-2000:]}")
        buf += chunk
        *lines, buf = buf.split(b"\n")
        acks.extend(line.decode().split()[1:] for line in lines)
    os.kill(proc.pid, signal.SIGKILL)
    rest, _ = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    *lines, _cut = (buf + rest).split(b"\n")  # a line cut by the kill is not an ack
    acks.extend(line.decode().split()[1:] for line in lines)
    return acks


@pytest.mark.slow
def test_sigkill_mid_ingest_loses_no_acknowledged_entry(data_dir: Path) -> None:
    rng = random.Random(7)
    acked: list[list[str]] = []
    for round_no in range(4):
        acked += run_and_kill(data_dir, round_no, rng.randrange(150, 1500))

    service = TraceService(EmbeddedStore(data_dir))
    by_trace: dict[str, dict[int, tuple[str, str]]] = defaultdict(dict)
    for trace_id, seq, kind, ident in acked:
        by_trace[trace_id][int(seq)] = (kind, ident)
    assert len(acked) >= 600
    entries = service.store.entries(TENANT, list(by_trace))
    for trace_id, acks in by_trace.items():
        stored = {e.seq: e for e in entries[trace_id]}
        for seq, (kind, ident) in acks.items():
            e = stored.get(seq)
            assert e is not None, f"acknowledged {kind} {ident} at {trace_id}#{seq} is lost"
            assert e.kind == kind
            id_key = ID_KEYS.get(kind)
            assert (e.record[id_key] if id_key else e.trace_id) == ident
    # every chain in the folder verifies, including entries committed but never acknowledged
    sessions = {f"round-{r}" for r in range(4)}
    checked = 0
    for session in sessions:
        v = service.verify_session(TENANT, session)
        assert v.valid, v
        checked += v.entries_checked
    assert checked >= len(acked)
    for session in sessions:
        for trace in service.session_traces(TENANT, session):
            stored = service.store.entries(TENANT, [trace.trace_id])[trace.trace_id]
            assert trace.entry_count == len(stored)
    service.store.close()

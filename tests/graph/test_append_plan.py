"""The append plan on its own: every rung of the error ladder, replays, numbering, rows, edges.

The plan is pure: these tests hand it chain heads and stored ids as a backend would read
them. The conformance suite (tests/conformance/test_append_contract.py) checks that each
backend reads and writes what the plan says.
"""

from __future__ import annotations

from typing import Any

import pytest
from tracegraph.graph.append_plan import (
    Replay,
    SealedAppend,
    StoredHead,
    StoredId,
    TraceCompletion,
    TraceStart,
    batch_ids,
    plan_append,
)
from tracegraph.graph.protocol import Edge
from tracegraph.schema.chain import GENESIS_PREV_HASH, seal, verify_entries
from tracegraph.schema.errors import AlreadyExists, ChainConflict, TraceClosed, TraceNotFound

T, TR = "ten", "tr"
START = ("trace_started", {"session_id": "s", "created_at": "2026-01-01T00:00:00Z",
                           "agent_id": "ag", "parent_trace_id": "up"})
HEAD = StoredHead(3, 2, "a" * 64, "s1", completed=False)


def step(step_id: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    return ("step", {"step_id": step_id, "step_type": "Action", **extra})


def plan(items: list[tuple[str, dict[str, Any]]], head: StoredHead | None = HEAD, *,
         expected_seq: int | None = None, tombstoned: bool = False,
         stored: dict[str, StoredId] | None = None, tenant: str = T) -> Replay | SealedAppend:
    return plan_append(tenant, TR, items, expected_seq, head=head, tombstoned=tombstoned,
                       stored=stored or {})


def sealed(*args: Any, **kw: Any) -> SealedAppend:
    got = plan(*args, **kw)
    assert isinstance(got, SealedAppend)
    return got


# -- the error ladder, rung by rung (and which rung wins when several apply) ----------------
def test_no_trace() -> None:
    with pytest.raises(TraceNotFound, match=r"^trace tr not found$"):
        plan([step("a")], None, tombstoned=True)
    with pytest.raises(AlreadyExists, match=r"^trace tr existed and was removed by retention$"):
        plan([START], None, tombstoned=True)


def test_a_start_of_a_stored_trace() -> None:
    replay = plan([START], StoredHead(9, 0, "b" * 64, None, completed=True))
    assert isinstance(replay, Replay) and replay.seqs == (0,)
    first = seal(T, TR, 0, GENESIS_PREV_HASH, *START)
    assert replay.entries({0: first}) == [first]
    other = seal(T, TR, 0, GENESIS_PREV_HASH, START[0], {**START[1], "goal": "x"})
    for stored in ({0: other}, {}, {0: seal("x", TR, 0, GENESIS_PREV_HASH, *START)}):
        with pytest.raises(AlreadyExists, match=r"^trace tr already exists$"):
            replay.entries(stored)
    with pytest.raises(AlreadyExists, match=r"^trace tr already exists$"):
        plan([START, step("a")])


def test_a_completed_trace_is_closed_before_any_seq_check() -> None:
    closed = StoredHead(3, 2, "a" * 64, "s1", completed=True)
    with pytest.raises(TraceClosed,
                       match=r"^trace tr is completed; its chain accepts no entries$"):
        plan([step("a")], closed, expected_seq=0)


def test_expected_seq() -> None:
    with pytest.raises(ChainConflict, match=r"^trace tr: next seq is 3, not 2$"):
        plan([step("a")], expected_seq=2)
    assert sealed([step("a")], expected_seq=3).entries[0].entry.seq == 3
    with pytest.raises(ChainConflict, match=r"next seq is 0, not 1"):  # a new trace too
        plan([START], None, expected_seq=1)


# -- record ids: replay, half a retry, taken ------------------------------------------------
def test_a_batch_stored_in_this_trace_is_replayed_in_batch_order() -> None:
    stored = {"a": StoredId(TR, 4), "b": StoredId(TR, 3)}
    replay = plan([step("a"), step("b")], stored=stored)
    assert isinstance(replay, Replay) and replay.seqs == (4, 3)
    entries = {s: seal(T, TR, s, "c" * 64, *step(x)) for s, x in ((3, "b"), (4, "a"))}
    assert replay.entries(entries) == [entries[4], entries[3]]
    # checked after the trace: a replay into a completed trace is still refused
    with pytest.raises(TraceClosed):
        plan([step("a")], StoredHead(5, 2, "a" * 64, "a", completed=True), stored=stored)


def test_half_a_retry_is_refused() -> None:
    stored = {"a": StoredId(TR, 3)}
    with pytest.raises(AlreadyExists, match=r"^some records of this batch are already stored"):
        plan([step("a"), step("c")], stored=stored)
    with pytest.raises(AlreadyExists, match=r"^step_id a is already taken$"):
        plan([step("c"), step("a")], stored=stored)  # the first is new: a stored one is taken
    with pytest.raises(AlreadyExists, match=r"^step_id a is already taken$"):
        plan([("trace_completed", {"status": "completed"}), step("a")], stored=stored)


@pytest.mark.parametrize("where", [StoredId("elsewhere", 3), StoredId(None, None),
                                   StoredId(TR, None)])
def test_an_id_stored_elsewhere_is_taken(where: StoredId) -> None:
    with pytest.raises(AlreadyExists, match=r"^step_id a is already taken$"):
        plan([step("a")], stored={"a": where})
    call = ("api_call", {"call_id": "a"})
    with pytest.raises(AlreadyExists, match=r"^call_id a is already taken$"):
        plan([call], stored={"a": where})


def test_an_id_twice_in_one_batch_is_taken() -> None:
    with pytest.raises(AlreadyExists, match=r"^step_id a is already taken$"):
        plan([step("a"), step("b"), step("a")])
    with pytest.raises(AlreadyExists, match=r"^input_id a is already taken$"):
        plan([step("a"), ("human_input", {"input_id": "a"})])


def test_batch_ids() -> None:
    items = [START, step("a"), ("api_call", {"call_id": "k", "step_id": "a"}),
             ("human_input", {"input_id": "h"}), ("trace_completed", {"status": "x"})]
    assert batch_ids(items) == ["a", "k", "h"]


# -- numbering, sealing, rows and edges --------------------------------------------------------
def test_a_new_trace_is_numbered_from_genesis() -> None:
    got = sealed([START, step("a", model_id="m"), step("b", model_id="m"),
                  step("c", model_id="n")], None)
    assert [p.entry.seq for p in got.entries] == [0, 1, 2, 3]
    assert [p.entry.record.get("step_index") for p in got.entries] == [None, 0, 1, 2]
    assert got.entries[0].entry.prev_hash == GENESIS_PREV_HASH
    assert verify_entries(got.sealed(), tenant_id=T, trace_id=TR, expected_length=4,
                        expected_head=got.head_hash).valid
    assert (got.entry_count, got.step_count, got.last_step_id, got.previous_step_id) == (
        4, 3, "c", None)
    assert got.start == TraceStart("s", "2026-01-01T00:00:00Z", "ag", "up")
    assert got.completion is None and got.models == ["m", "n"]
    assert all(type(p.entry.kind) is str for p in got.entries)


def test_a_batch_continues_the_head() -> None:
    got = sealed([step("a"), ("api_call", {"call_id": "k", "step_id": "a"}), step("b"),
                  ("trace_completed", {"status": "completed", "outcome": "success",
                                       "completed_at": "z"})])
    e = got.sealed()
    assert [x.seq for x in e] == [3, 4, 5, 6]
    assert e[0].prev_hash == "a" * 64 and all(e[i].prev_hash == e[i - 1].hash for i in (1, 2, 3))
    assert [x.record.get("step_index") for x in e] == [2, None, 3, None]
    assert (got.entry_count, got.step_count, got.head_hash, got.last_step_id) == (
        7, 4, e[-1].hash, "b")
    assert got.completion == TraceCompletion(6, "completed", "success", "z")
    assert [p.node_id for p in got.entries] == ["a", "k", "b", None]
    assert got.entries[0].body.startswith(b'{"kind":"step","prev_hash":"aaaa')


def test_a_batch_without_steps_keeps_the_last_step() -> None:
    got = sealed([("human_input", {"input_id": "h", "step_id": "s1"})])
    assert (got.step_count, got.last_step_id, got.previous_step_id) == (2, "s1", "s1")
    assert list(got.edges()) == [Edge("s1", "h", "ASKED")]


def test_edges_and_alternatives() -> None:
    got = sealed([step("a", depends_on=["s0"], alternatives_considered=["x", "y", "x"],
                       selected_alternative="x"),
                  step("b", depends_on=["a", "s0"]),
                  ("api_call", {"call_id": "k", "step_id": "a"}),
                  ("api_call", {"call_id": "k2"})])
    assert list(got.edges()) == [
        Edge(TR, "a", "HAS_STEP"), Edge("s1", "a", "NEXT"), Edge("a", "s0", "DEPENDS_ON"),
        Edge("a", "a#alt0", "CONSIDERED"), Edge("a", "a#alt1", "CONSIDERED"),
        Edge("a", "a#alt2", "CONSIDERED"),
        Edge(TR, "b", "HAS_STEP"), Edge("a", "b", "NEXT"), Edge("b", "a", "DEPENDS_ON"),
        Edge("b", "s0", "DEPENDS_ON"),
        Edge("a", "k", "CALLED"),
    ]
    alts = got.entries[0].alternatives()
    assert [(a.node_id, a.step_id, a.index, a.text, a.selected) for a in alts] == [
        ("a#alt0", "a", 0, "x", True), ("a#alt1", "a", 1, "y", False),
        ("a#alt2", "a", 2, "x", False)]
    assert got.entries[0].alternative_ids() == ["a#alt0", "a#alt1", "a#alt2"]
    assert got.entries[1].alternatives() == [] == got.entries[1].alternative_ids()
    assert got.entries[-1].alternatives() == []


def test_a_started_trace_links_to_its_parent_and_spawning_step() -> None:
    kind, record = START
    got = sealed([(kind, {**record, "spawned_by_step_id": "p1"})], None)
    assert list(got.edges()) == [Edge(TR, "up", "CHILD_OF"), Edge("p1", TR, "SPAWNED")]


def test_the_items_are_not_changed() -> None:
    items = [step("a")]
    sealed(items)
    assert items == [step("a")]

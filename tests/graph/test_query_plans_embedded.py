"""Embedded store: the statements that look an id up seek an index by tenant and id.

Ids are per tenant, so every key and edge index leads with ``tenant_id``; these plans show
that each statement reading by id seeks with both (never walking the tenant's rows, nor
another tenant's), on a file just made, before any ``ANALYZE``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from tracegraph.graph.embedded import EmbeddedStore, log_sql, sql, vectors, walks

#: statement, its parameters, what every table access of its plan must seek by
CASES: list[tuple[str, Any, str]] = [
    (sql.SELECT_HEAD, ("t", "x"), "tenant_id=? AND trace_id=?"),
    (sql.SELECT_TRACE_EXISTS, ("t", "x"), "tenant_id=? AND trace_id=?"),
    (sql.SELECT_TOMBSTONE_EXISTS, ("t", "x"), "tenant_id=? AND trace_id=?"),
    (sql.SELECT_NODE_REFS_IN, ("t", "[]"), "tenant_id=? AND node_id=?"),
    (sql.SELECT_TRACES_IN, ("t", "[]"), "tenant_id=? AND trace_id=?"),
    (sql.SELECT_NODES_IN, ("t", "[]"), "tenant_id=? AND node_id=?"),
    (sql.SELECT_TRACE, ("t", "x"), "tenant_id=? AND trace_id=?"),
    (sql.SELECT_ENTRIES, ("t", "x"), "tenant_id=? AND trace_id=?"),
    (sql.SELECT_ENTRY, ("t", "x", 1), "tenant_id=? AND trace_id=? AND seq=?"),
    (sql.SELECT_EDGES_OUT, ("t", "x"), "tenant_id=? AND src=?"),
    (sql.SELECT_EDGES_IN, ("t", "x"), "tenant_id=? AND dst=?"),
    (sql.SELECT_TOMBSTONES, ("t", "s"), "tenant_id=? AND session_id=?"),
    (walks.FLOW_SUCCESSORS, {"tenant": "t", "frontier": "[]"}, "tenant_id=? AND "),
    (walks.FLOW_PREDECESSORS, {"tenant": "t", "frontier": "[]"}, "tenant_id=? AND "),
    (walks.EDGES_FROM, {"tenant": "t", "ids": "[]"}, "tenant_id=? AND src=?"),
    (log_sql.SELECT_HEAD, ("t",), "tenant_id=?"),
    (log_sql.SELECT_RUNS_RANGE, ("t", 9, 0), "tenant_id=? AND first_index"),
    (log_sql.SELECT_RUNS_OF_TRACES, ("t", "[]"), "tenant_id=? AND trace_id=?"),
    (log_sql.SELECT_RUNS_OF_SESSION, {"tenant": "t", "session": "s"}, "tenant_id=? AND "),
    (log_sql.SELECT_NODES, {"tenant": "t", "ids": "[]"}, "tenant_id=? AND level=? AND idx=?"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    path: Path = tmp_path_factory.mktemp("plans")
    EmbeddedStore(path).close()
    return sqlite3.connect(path / "tracegraph.sqlite3")


@pytest.mark.parametrize(("statement", "params", "seek"), CASES,
                         ids=[f"case{i}" for i in range(len(CASES))])
def test_reads_by_id_seek_tenant_and_id(db: sqlite3.Connection, statement: str, params: Any,
                                        seek: str) -> None:
    steps = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + statement, params)]
    tables = [s for s in steps if s.startswith(("SEARCH", "SCAN"))
              and "VIRTUAL TABLE" not in s and "json_each" not in s]
    assert tables, steps
    for s in tables:
        assert s.startswith("SEARCH") and seek in s, steps


def test_walks_read_the_frontier_first(db: sqlite3.Connection) -> None:
    steps = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + walks.FLOW_SUCCESSORS,
                                      {"tenant": "t", "frontier": "[]"})]
    seeks = [s for s in steps if s.startswith("SEARCH e")]
    assert seeks == ["SEARCH e USING INDEX edges_from (tenant_id=? AND src=? AND type=?)",
                     "SEARCH e USING INDEX edges_to (tenant_id=? AND dst=? AND type=?)"]


#: The vector file's statements (graph/embedded/vectors.py): statement, its parameters, the
#: seek of its one table access
VECTOR_CASES: list[tuple[str, Any, str]] = [
    # (a trace's removal logged and deleted: a seek by trace, not a walk of the tenant's
    # vectors; before INDEXED BY the log took 35 s for 5,000 traces of a 120,000-vector
    # tenant, 0.4 s after)
    (vectors.LOG_REMOVED, ("t", "x"), "step_vectors_tenant_trace (tenant_id=? AND trace_id=?)"),
    (vectors.DELETE_TRACE, ("t", "x"), "(tenant_id=? AND trace_id=?)"),
    (vectors.SELECT_IDS, ("t", "m", "[]"), "(tenant_id=? AND model=? AND step_id=?)"),
    (vectors.SELECT_TRACES, ("t", "m", "[]"), "(tenant_id=? AND model=? AND trace_id=?)"),
    (vectors.SELECT_REMOVED_SINCE, ("t", "m", 0), "(tenant_id=? AND model=? AND seq>?)"),
    (vectors.SELECT_SINCE, ("t", "m", 0), "INTEGER PRIMARY KEY (rowid>?)"),
    (vectors.PRUNE, (5,), "INTEGER PRIMARY KEY (rowid<?)"),
]


@pytest.mark.parametrize(("statement", "params", "seek"), VECTOR_CASES,
                         ids=[f"vectors{i}" for i in range(len(VECTOR_CASES))])
def test_vector_statements_seek(tmp_path: Path, statement: str, params: Any,
                                seek: str) -> None:
    vectors.EmbeddedVectors(tmp_path).close()
    db = sqlite3.connect(tmp_path / "vectors.sqlite3")
    steps = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + statement, params)]
    tables = [s for s in steps if s.startswith(("SEARCH", "SCAN"))
              and "VIRTUAL TABLE" not in s and "json_each" not in s]
    assert len(tables) == 1 and tables[0].startswith("SEARCH") and seek in tables[0], steps
    db.close()


#: Retention's deletes of a removed trace's rows, with their parameters
REMOVALS: list[tuple[str, Any]] = [
    (sql.DELETE_EDGES_OF, {"tenant": "t", "ids": "[]"}),
    (sql.DELETE_NODES_IN, ("t", "x", "[]")),
    (sql.DELETE_MODELS_IN, ("t", "x", "[]")),
    (sql.DELETE_TRACE_ENTRIES, ("t", "x")),
    (sql.DELETE_TRACE, ("t", "x")),
]


@pytest.mark.parametrize(("statement", "params"), REMOVALS,
                         ids=[f"removal{i}" for i in range(len(REMOVALS))])
def test_removing_a_trace_seeks_its_rows(db: sqlite3.Connection, statement: str,
                                         params: Any) -> None:
    """Retention's deletes seek the trace's rows by their keys: deleting nodes and model
    rows by trace (no index leads with it) walked every such row of the tenant, 28 ms a
    trace in a tenant of 100,000 steps."""
    steps = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + statement, params)]
    tables = [s for s in steps if s.startswith(("SEARCH", "SCAN"))
              and "VIRTUAL TABLE" not in s and "json_each" not in s]
    assert tables, steps
    for s in tables:
        assert s.startswith("SEARCH") and not s.endswith("(tenant_id=?)"), steps


_LISTING_PARAMS = {"tenant": "t", "session": None, "agent": None, "status": None,
                   "outcome": None, "parent": None, "roots": 0, "after": None,
                   "before": None, "model": None, "cur_time": None, "cur_id": None,
                   "limit": 20}
_LISTING_INDEX = {None: "traces_by_time (tenant_id=?)",
                  "session": "traces_by_session (tenant_id=? AND session_id=?)",
                  "parent": "traces_by_parent (tenant_id=? AND parent_trace_id=?)",
                  "agent": "traces_by_agent_time (tenant_id=? AND agent_id=?)",
                  "status": "traces_by_status (tenant_id=? AND status=?)"}


@pytest.mark.parametrize(("lead", "ascending", "cursor"),
                         [k for k in sql.LISTINGS if k[0] != "model"])
def test_a_listing_seeks_the_index_of_its_leading_filter_in_time_order(
        db: sqlite3.Connection, lead: str | None, ascending: bool, cursor: bool) -> None:
    """A listing by agent or status seeks that filter's index, in time order (no sort):
    before, it walked the tenant's traces by time testing each, 49 ms for the first page
    of a status 10 of 50,000 traces have (0.1 ms now). A page after a cursor starts at
    the cursor: (created_at, trace_id) is a range of the same index."""
    params = {**_LISTING_PARAMS, **({lead: "x"} if lead else {}),
              **({"cur_time": "2026", "cur_id": "x"} if cursor else {})}
    steps = [r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN " + sql.LISTINGS[lead, ascending, cursor], params)]
    index = _LISTING_INDEX[lead]
    if cursor:
        index = index[:-1] + (" AND (created_at,trace_id)<(?,?))" if not ascending
                              else " AND (created_at,trace_id)>(?,?))")
    assert f"SEARCH t USING INDEX {index}" in steps, steps
    assert not [s for s in steps if s.startswith(("SCAN t", "USE TEMP B-TREE"))], steps


ListingKey = tuple[str | None, bool, bool]


@pytest.fixture
def chosen(monkeypatch: pytest.MonkeyPatch) -> list[ListingKey]:
    """The keys of ``sql.LISTINGS`` the store looks up, in order."""
    seen: list[ListingKey] = []

    class Recording(dict[ListingKey, str]):
        def __getitem__(self, key: ListingKey) -> str:
            seen.append(key)
            return super().__getitem__(key)

    monkeypatch.setattr(sql, "LISTINGS", Recording(sql.LISTINGS))
    return seen


def test_the_store_leads_a_listing_by_the_first_filter_set(
        tmp_path: Path, chosen: list[ListingKey]) -> None:
    from tracegraph.graph.protocol import TraceCursor, TraceFilter

    store = EmbeddedStore(tmp_path)
    for flt, lead in ((TraceFilter(roots_only=True), None),
                      (TraceFilter(agent_id="a", status="active"), "agent"),
                      (TraceFilter(status="active", model_id="m"), "status"),
                      (TraceFilter(parent_trace_id="p", agent_id="a"), "parent"),
                      (TraceFilter(session_id="s", parent_trace_id="p"), "session")):
        for ascending in (False, True):
            for cursor in (None, TraceCursor("2026-01-01T00:00:00.000000Z", "x")):
                chosen.clear()
                assert store.list_traces("t", flt, 5, cursor, ascending=ascending) == []
                assert chosen == [(lead, ascending, cursor is not None)]
    store.close()


def test_tenants_are_found_by_seeks_not_a_walk_of_every_trace(db: sqlite3.Connection) -> None:
    """The checkpointer asks for every tenant each minute: the statement skips from one
    tenant to the next on each table's index (3.4 ms at 50,000 traces before, 0.01 ms)."""
    steps = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql.SELECT_TENANTS)]
    assert [s for s in steps if s.startswith("SEARCH traces")]
    assert not [s for s in steps if s.startswith(("SCAN traces", "SCAN tombstones"))], steps


def test_tenants_lists_each_tenant_of_traces_and_tombstones_once(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    db = store._conn()
    for tenant, trace in (("b", "1"), ("a", "1"), ("b", "2"), ("c", "9")):
        db.execute("INSERT INTO traces (trace_id, tenant_id, session_id, status, created_at,"
                   " entry_count, step_count, head_hash) VALUES (?, ?, 's', 'active', 'x',"
                   " 0, 0, 'h')", (trace, tenant))
    db.execute("INSERT INTO tombstones (trace_id, tenant_id, session_id, entry_count,"
               " final_hash, removed_at, hash) VALUES ('1', 'd', 's', 0, 'h', 'x', 'h')")
    assert store.tenants() == ["a", "b", "c", "d"]
    store.close()


@pytest.mark.parametrize("cursor", [False, True])
def test_a_listing_led_by_a_model_reads_that_models_traces(db: sqlite3.Connection,
                                                           cursor: bool) -> None:
    """A model few traces have leads from its trace_models rows (a walk by time read most
    of the tenant: 80 ms for the first page of a model 10 of 50,000 traces have, 0.1 ms)."""
    params = {**_LISTING_PARAMS, "model": "m",
              **({"cur_time": "2026", "cur_id": "x"} if cursor else {})}
    steps = [r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN " + sql.LISTINGS["model", False, cursor], params)]
    assert steps[:2] == ["SEARCH m USING PRIMARY KEY (tenant_id=? AND model_id=?)",
                         "SEARCH t USING PRIMARY KEY (tenant_id=? AND trace_id=?)"], steps


def test_a_model_many_traces_have_is_listed_by_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chosen: list[ListingKey]) -> None:
    from tracegraph.api.service import TraceService
    from tracegraph.graph.protocol import TraceFilter
    from tracegraph.schema.inputs import StartTraceInput, StepInput

    store = EmbeddedStore(tmp_path)
    svc = TraceService(store)
    made = []
    for i in range(3):
        t = svc.start_trace("a", StartTraceInput(session_id="s"))
        svc.record_steps("a", t.trace_id, [StepInput(step_type="Reasoning", content="x",
                                                     model_id="m" if i < 2 else "n")])
        made.append(t.trace_id)
    monkeypatch.setattr(sql, "MODEL_LED_MAX", 1)
    for model, lead, ids in (("m", None, made[1::-1]), ("n", "model", made[2:])):
        chosen.clear()
        rows = store.list_traces("a", TraceFilter(model_id=model), 5)
        assert [r.trace_id for r in rows] == ids and chosen == [(lead, False, False)]
    store.close()

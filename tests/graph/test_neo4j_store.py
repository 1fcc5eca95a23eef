"""Neo4j backend specifics on the real server (scripts/neo4j): schema, codec, statements.

The behaviour every backend shares is in tests/conformance/; here is what only the Neo4j
store has: its constraints and indexes, how entries map to properties (and that a raw
``SET``/``REMOVE`` of any of them is caught), the flow-direction mirror relationships, the
write lock and the uniqueness constraint behind it, and the rule that every statement is a
parameterized constant.
"""

from __future__ import annotations

import ast
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tracegraph.api.service import TraceService
from tracegraph.schema.chain import seal
from tracegraph.schema.errors import BackendUnavailable
from tracegraph.schema.inputs import StartTraceInput, StepInput

from tests.conformance.backends import neo4j as neo4j_harness

pytest.importorskip("neo4j")
from neo4j import GraphDatabase
from neo4j.exceptions import ConstraintError
from tracegraph.graph.neo4j import Neo4jStore, codec, cypher, log, pending

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def uri() -> str:
    neo4j_harness._start()  # skips locally (fails under CI=true) without a server
    return neo4j_harness.URI


@pytest.fixture(scope="module")
def store(uri: str) -> Iterator[Neo4jStore]:
    s = Neo4jStore(uri)
    yield s
    s.close()


@pytest.fixture(scope="module")
def raw(uri: str) -> Iterator[Any]:
    driver = GraphDatabase.driver(uri, auth=None)
    yield driver
    driver.close()


@pytest.fixture
def tenant() -> str:
    return f"n{uuid.uuid4().hex[:12]}"


def _cypher(raw: Any, query: str, **params: Any) -> list[Any]:
    records, _, _ = raw.execute_query(query, params)
    return list(records)


#: What a database of the layout before ids were per tenant has beside the current schema:
#: single-id uniqueness constraints and single-property indexes, by their names. (The
#: constraints are made on a scratch label: on the real labels this shared database already
#: holds ids two tenants use, which they would refuse. Opening drops them by name.)
OLD_LAYOUT = (
    "CREATE CONSTRAINT tracegraph_trace_id IF NOT EXISTS "
    "FOR (t:TracegraphOldLayout) REQUIRE t.trace_id IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_entry_seq IF NOT EXISTS "
    "FOR (e:TracegraphOldLayout) REQUIRE (e.trace_id, e.seq) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_record_id IF NOT EXISTS "
    "FOR (r:TracegraphOldLayout) REQUIRE r.node_id IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_tombstone_id IF NOT EXISTS "
    "FOR (x:TracegraphOldLayout) REQUIRE x.tomb_id IS UNIQUE",
    "CREATE INDEX tracegraph_trace_session IF NOT EXISTS FOR (t:Trace) ON (t.session_id)",
    "CREATE INDEX tracegraph_trace_agent IF NOT EXISTS FOR (t:Trace) ON (t.agent_id)",
    "CREATE INDEX tracegraph_trace_parent IF NOT EXISTS FOR (t:Trace) ON (t.parent_trace_id)",
)


def test_opening_replaces_the_single_id_schema_with_per_tenant_keys(uri: str, raw: Any
                                                                     ) -> None:
    for statement in OLD_LAYOUT:
        _cypher(raw, statement)
    Neo4jStore(uri).close()
    Neo4jStore(uri).close()  # IF [NOT] EXISTS: a second open changes nothing
    constraints = {r["name"]: r for r in _cypher(raw, "SHOW CONSTRAINTS")}
    indexes = {r["name"] for r in _cypher(raw, "SHOW INDEXES")}
    old = {"tracegraph_trace_id", "tracegraph_entry_seq", "tracegraph_record_id",
           "tracegraph_tombstone_id", "tracegraph_trace_session", "tracegraph_trace_agent",
           "tracegraph_trace_parent"}
    assert not old & (set(constraints) | indexes)
    keys = {name: (c["labelsOrTypes"], c["properties"], c["type"])
            for name, c in constraints.items() if name.endswith("_key")}
    assert keys == {
        "tracegraph_trace_key": (["Trace"], ["tenant_id", "trace_id"], "UNIQUENESS"),
        "tracegraph_entry_key": (["Entry"], ["tenant_id", "trace_id", "seq"], "UNIQUENESS"),
        "tracegraph_record_key": (["Record"], ["tenant_id", "node_id"], "UNIQUENESS"),
        "tracegraph_tombstone_key": (["Tombstone"], ["tenant_id", "trace_id"], "UNIQUENESS"),
    }
    assert {"tracegraph_trace_tenant_time", "tracegraph_trace_tenant_session",
            "tracegraph_trace_tenant_agent", "tracegraph_trace_tenant_parent",
            "tracegraph_model_name"} <= indexes


def test_existing_nodes_stay_readable_and_their_ids_free_elsewhere(
        store: Neo4jStore, raw: Any, tenant: str) -> None:
    """Nodes written before already carry their tenant_id: what the constraints change is
    only who else may use an id."""
    service = TraceService(store)
    t = service.start_trace(tenant, StartTraceInput(trace_id=f"{tenant}-T"))
    service.record_steps(tenant, t.trace_id, [StepInput(step_id=f"{tenant}-a",
                                                        step_type="Action")])
    other = tenant + "x"
    service.start_trace(other, StartTraceInput(trace_id=t.trace_id))
    service.record_steps(other, t.trace_id, [StepInput(step_id=f"{tenant}-a",
                                                       step_type="Decision")])
    rows = _cypher(raw, "MATCH (r:Record {node_id: $id}) RETURN r.tenant_id AS t ORDER BY t",
                   id=f"{tenant}-a")
    assert [r["t"] for r in rows] == sorted([tenant, other])
    assert service.verify_trace(tenant, t.trace_id).valid
    assert service.verify_trace(other, t.trace_id).valid


def test_a_fork_is_refused_by_the_database_itself(store: Neo4jStore, raw: Any, tenant: str
                                                  ) -> None:
    service = TraceService(store)
    t = service.start_trace(tenant, StartTraceInput())
    forged = seal(tenant, t.trace_id, 0, "0" * 64, "trace_started", {"goal": "fork"})
    with pytest.raises(ConstraintError):
        _cypher(raw, "CREATE (e:Entry) SET e = $props", props=codec.entry_properties(forged))


def test_entries_are_properties_and_every_one_counts(store: Neo4jStore, raw: Any, tenant: str
                                                     ) -> None:
    service = TraceService(store)
    t = service.start_trace(tenant, StartTraceInput(metadata={"team": "a"}))
    (s,) = service.record_steps(tenant, t.trace_id, [StepInput(
        step_type="Decision", content="pick", input_data={"x": [1, 2]},
        alternatives_considered=["a", "b"], selected_alternative="b", confidence=0.25)])
    (props,) = _cypher(raw, "MATCH (e:Entry {trace_id: $t, seq: 1}) "
                            "RETURN properties(e) AS p, elementId(e) AS id", t=t.trace_id)
    p, node = props["p"], props["id"]
    set_props = "MATCH (e:Entry) WHERE elementId(e) = $id SET e += $props"
    assert p["r_content"] == "pick" and p["j_input_data"] == '{"x":[1,2]}'
    assert p["r_alternatives_considered"] == ["a", "b"] and p["r_confidence"] == 0.25
    assert p["node_id"] == s.step_id and p["seq"] == p["chain_seq"] == 1
    assert codec.entry_from_properties(p).hash == s.hash
    names = sorted(k for k in p if k not in ("node_id", "seq"))  # indexes only
    for name in names:
        value = p[name]
        changed: Any = (value + 1 if isinstance(value, int) and not isinstance(value, bool)
                        else not value if isinstance(value, bool)
                        else [*value, "z"] if isinstance(value, list)
                        else value / 2 if isinstance(value, float)
                        else '{"tampered":true}' if name.startswith(codec.JSON_PREFIX)
                        else value + " ")
        for new in (changed, None):  # SET to another value, then REMOVE
            _cypher(raw, set_props, id=node, props={name: new})
            v = service.verify_trace(tenant, t.trace_id)
            assert not v.valid and v.first_broken_seq == 1, (name, new)
        _cypher(raw, set_props, id=node, props={name: value})
        assert service.verify_trace(tenant, t.trace_id).valid, name
    # an extra property in the record's namespace is content too
    _cypher(raw, "MATCH (e:Entry {trace_id: $t, seq: 1}) SET e.r_extra = 1", t=t.trace_id)
    assert not service.verify_trace(tenant, t.trace_id).valid


def test_flow_mirrors_and_alternative_nodes(store: Neo4jStore, raw: Any, tenant: str) -> None:
    service = TraceService(store)
    root = service.start_trace(tenant, StartTraceInput())
    (a,) = service.record_steps(tenant, root.trace_id, [StepInput(step_type="Action")])
    child = service.start_trace(tenant, StartTraceInput(parent_trace_id=root.trace_id,
                                                        spawned_by_step_id=a.step_id))
    (b,) = service.record_steps(tenant, child.trace_id, [StepInput(
        step_type="Action", depends_on=[a.step_id], alternatives_considered=["x", "y", "x"],
        selected_alternative="x")])
    rels = {(r["s"], r["t"], r["d"]) for r in _cypher(
        raw, "MATCH (s)-[r:DEPENDED_ON_BY|PARENT_OF|DEPENDS_ON|CHILD_OF]->(d) "
             "WHERE s.tenant_id = $tenant RETURN s.node_id AS s, type(r) AS t, d.node_id AS d",
        tenant=tenant)}
    assert rels == {(b.step_id, "DEPENDS_ON", a.step_id), (a.step_id, "DEPENDED_ON_BY", b.step_id),
                    (child.trace_id, "CHILD_OF", root.trace_id),
                    (root.trace_id, "PARENT_OF", child.trace_id)}
    # mirrors are for path searches only: never reported as stored edges
    edges = store.edges(tenant, [a.step_id, root.trace_id], "out")
    assert {e.type for es in edges.values() for e in es} == {"HAS_STEP", "SPAWNED"}
    alts = _cypher(raw, "MATCH (:Step {node_id: $s})-[:CONSIDERED]->(x:Alternative) "
                        "RETURN x.node_id AS id, x.text AS text, x.selected AS selected "
                        "ORDER BY x.index", s=b.step_id)
    assert [(r["id"], r["text"], r["selected"]) for r in alts] == [
        (f"{b.step_id}#alt0", "x", True), (f"{b.step_id}#alt1", "y", False),
        (f"{b.step_id}#alt2", "x", False)]


def test_unreachable_server_is_backend_unavailable() -> None:
    with pytest.raises(BackendUnavailable, match="scripts/neo4j start"):
        Neo4jStore("bolt://127.0.0.1:1")


def test_every_statement_is_a_parameterized_constant() -> None:
    """Statements are module constants of cypher.py (the tenant log's of log.py, the step
    vectors' of vectors.py, imported as ``vec``, the held items' of pending.py, as
    ``pend``); the store, the log and the held items modules pass only those to
    ``run``/``execute_query`` and never format a string with a value."""
    for module in ("store.py", "log.py", "pending.py"):
        tree = ast.parse((ROOT / "graph" / "neo4j" / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
                node.func.attr in ("run", "execute_query")
            ):
                query = node.args[0]
                assert isinstance(query, ast.Attribute | ast.Name | ast.Subscript), \
                    ast.dump(query)
                if isinstance(query, ast.Attribute):
                    assert getattr(query.value, "id", None) in ("cypher", "log", "vec"), \
                        ast.unparse(query)
    statements = [v for m in (cypher, log, pending) for k, v in vars(m).items()
                  if k.isupper() and not k.startswith("_") and isinstance(v, str)]
    statements += [*cypher.SCHEMA, *log.SCHEMA, *pending.SCHEMA]
    assert len(statements) > 40
    for statement in statements:
        assert "{rel_type}" not in statement and "%s" not in statement, statement
        if "WHERE" in statement or "UNWIND" in statement:
            assert "$" in statement, statement  # values come in as parameters


def test_a_vector_written_while_the_removal_commits_is_removed_after(
        store: Neo4jStore, tenant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The removal transaction deletes the trace's vectors and commits later; meanwhile the
    embedding worker writes a vector of it and, reading before that commit, still sees the
    trace (so it removes nothing). ``remove_trace`` deletes the trace's vectors once more
    after its commit, so that vector goes too."""
    import numpy as np
    from tracegraph.api.service.retention import tombstone_for
    from tracegraph.graph.vectors import StepVector

    svc = TraceService(store)
    t = svc.start_trace(tenant, StartTraceInput(session_id="s-race"))
    (step,) = svc.record_steps(tenant, t.trace_id, [StepInput(step_type="Reasoning",
                                                              content="weigh")])
    v = np.ones(384, dtype=np.float32) / np.sqrt(384)
    row = StepVector(step_id=step.step_id, trace_id=t.trace_id, session_id="s-race",
                     agent_id=None, step_type="Reasoning", step_index=0,
                     created_at="2026-01-01T00:00:00.000000Z", vector=v.tolist())
    seen: list[bool] = []
    original = store._write

    def removal_then_worker(work: Any) -> Any:
        def inside(tx: Any) -> Any:
            out = work(tx)
            if not seen:  # (the removal: its deletes ran, its commit has not)
                monkeypatch.setattr(store, "_write", original)
                store.put_vectors(tenant, "m-race", [row])
                seen.append(bool(store.get_traces(tenant, [t.trace_id])))
            return out
        return original(inside)

    monkeypatch.setattr(store, "_write", removal_then_worker)
    (trace_row,) = store.get_traces(tenant, [t.trace_id]).values()
    store.remove_trace(tenant, t.trace_id, tombstone_for(trace_row,
                                                         "2026-12-01T00:00:00.000000Z"))
    assert seen == [True]  # the worker saw the trace: it would not have removed the vector
    assert store.vector_ids(tenant, "m-race", [step.step_id]) == set()


def _index_rows(plan: Any) -> int:
    """Rows the index seeks of a profiled plan produced."""
    rows = int(plan["args"].get("Rows", 0)) if "IndexSeek" in plan["operatorType"] else 0
    return rows + sum(_index_rows(c) for c in plan.get("children", []))


@pytest.mark.parametrize("name", ["LIST_TRACES", "LIST_TRACES_ASC", "LIST_TRACES_AFTER",
                                  "LIST_TRACES_ASC_AFTER"])
def test_a_page_of_the_tenants_traces_reads_about_a_page_of_the_index(
        store: Neo4jStore, raw: Any, tenant: str, name: str) -> None:
    """A page of a tenant's listing reads its (tenant_id, created_at) index in order and
    stops after the page, also after a cursor (its seek starts there). Before, every trace
    of the tenant was read and sorted for each page: 37 ms a page at 20,000 traces, 3 now."""
    svc = TraceService(store)
    for i in range(120):
        svc.start_trace(tenant, StartTraceInput(session_id=f"s{i % 3}"))
    (mid,) = _cypher(raw, "MATCH (t:Trace {tenant_id: $tenant}) RETURN t.created_at AS c, "
                     "t.trace_id AS i ORDER BY c, i SKIP 60 LIMIT 1", tenant=tenant)
    params = dict(tenant=tenant, session=None, agent=None, status=None, outcome=None,
                  parent=None, roots=False, after=None, before=None, model=None,
                  cur_time=mid["c"] if name.endswith("AFTER") else None,
                  cur_id=mid["i"] if name.endswith("AFTER") else None, limit=5)
    with raw.session() as session:
        result = session.run("PROFILE " + getattr(cypher, name), params)
        assert len(list(result)) == 5
        assert _index_rows(result.consume().profile) <= 3 * 5 + 3

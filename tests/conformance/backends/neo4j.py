"""Conformance harness for the Neo4j backend, on the real server ``scripts/neo4j`` runs.

The server is started once per test session (``scripts/neo4j start`` is idempotent: it
builds the launcher if needed and returns when Bolt answers). Tampering goes through raw
Cypher on a separate driver, behind tracegraph's back.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tracegraph.graph.protocol import GraphStore
from tracegraph.schema.chain import ChainEntry, seal, tombstone_hash

from ..harness import Harness, unavailable

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "neo4j"
URI = f"bolt://127.0.0.1:{os.environ.get('NEO4J_BOLT_PORT', '7687')}"
START_TIMEOUT = 1800  # a first start builds the launcher (Maven downloads)

# Raw Cypher used to tamper with the stored chain (never used by tracegraph itself).
PROPERTY_KEYS = "MATCH (e:Entry {trace_id: $trace_id, seq: $seq}) RETURN keys(e) AS keys"
SET_PROPERTIES = "MATCH (e:Entry {trace_id: $trace_id, seq: $seq}) SET e += $props"
DETACH_DELETE = "MATCH (e:Entry {trace_id: $trace_id, seq: $seq}) DETACH DELETE e"
SHIFT_UP = """
MATCH (e:Entry {trace_id: $trace_id}) WHERE e.seq >= $seq SET e.seq = e.seq + 1000000
"""
SHIFT_BACK = """
MATCH (e:Entry {trace_id: $trace_id}) WHERE e.seq >= 1000000 SET e.seq = e.seq - 1000000 + 1
"""
CREATE_FORGED = "CREATE (e:Entry) SET e = $props"
SET_SEQ = "MATCH (e:Entry {trace_id: $trace_id, seq: $seq}) SET e.seq = $new_seq"
# Raw Cypher of the Merkle-log tamper matrix (tests/conformance/test_tamper.py).
ENTRIES_OF = """
MATCH (e:Entry {trace_id: $trace_id}) WHERE e.seq IS NOT NULL
RETURN properties(e) AS p ORDER BY e.seq
"""
MOVE_HEAD = """
MATCH (t:Trace {trace_id: $trace_id}) SET t.entry_count = $count, t.head_hash = $head
"""
#: The record hash of leaf ``$seq`` inside its log run (graph/neo4j/log.py: a run keeps its
#: entries' hashes as one hex string, 64 digits each).
SET_LEAF_HASH = """
MATCH (r:LogRun {trace_id: $trace_id, leaf_kind: 'e'})
WHERE r.first_seq <= $seq < r.first_seq + r.count
WITH r, ($seq - r.first_seq) * 64 AS at
SET r.hashes = left(r.hashes, at) + $hash + substring(r.hashes, at + 64)
"""
DELETE_FROM = """
MATCH (e:Entry {trace_id: $trace_id}) WHERE e.seq >= $keep
OPTIONAL MATCH (e)-[:CONSIDERED]->(a:Alternative)
DETACH DELETE a, e
"""
REOPEN_TRACE = """
MATCH (t:Trace {trace_id: $trace_id})
SET t.status = 'active', t.outcome = null, t.completed_at = null, t.completed_seq = null
"""
DELETE_TRACE_NODE = "MATCH (t:Trace {trace_id: $trace_id}) DETACH DELETE t"
TRACE_HEAD = """
MATCH (t:Trace {trace_id: $trace_id})
RETURN t.tenant_id AS tenant, t.session_id AS session, t.entry_count AS count,
  t.head_hash AS head
"""
CREATE_TOMBSTONE = """
CREATE (:Tombstone {trace_id: $trace_id, tenant_id: $tenant, session_id: $session,
  entry_count: $count, final_hash: $head, removed_at: $removed, hash: $hash})
"""
SET_TRACE_COLUMN = {
    "status": "MATCH (t:Trace {trace_id: $trace_id}) SET t.status = $value",
    "session_id": "MATCH (t:Trace {trace_id: $trace_id}) SET t.session_id = $value",
    "parent_trace_id": "MATCH (t:Trace {trace_id: $trace_id}) SET t.parent_trace_id = $value",
}
ADD_EDGE = {"DEPENDS_ON": """
MATCH (a:Record {tenant_id: $tenant, node_id: $src})
MATCH (b:Record {tenant_id: $tenant, node_id: $dst})
CREATE (a)-[:DEPENDS_ON]->(b), (b)-[:DEPENDED_ON_BY]->(a)
"""}
DELETE_EDGES = {"DEPENDS_ON": """
MATCH (a:Record {tenant_id: $tenant, node_id: $src})-[r:DEPENDS_ON]->(b)
OPTIONAL MATCH (b)-[m:DEPENDED_ON_BY]->(a)
DELETE r, m
"""}


def _run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)


def _start() -> None:
    if not SCRIPT.exists():
        unavailable(f"neo4j: {SCRIPT.relative_to(ROOT)} is missing")
    try:
        done = _run("start", timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        unavailable(f"neo4j: `scripts/neo4j start` did not finish in {START_TIMEOUT} s")
        return
    if done.returncode != 0:
        unavailable(f"neo4j: `scripts/neo4j start` failed ({done.returncode}): "
                    f"{(done.stderr or done.stdout)[-2000:]}")


def make_harness(tmp_path_factory: pytest.TempPathFactory) -> Neo4jHarness:
    pytest.importorskip("neo4j", reason="the neo4j driver is not installed (extra [neo4j])")
    _start()
    return Neo4jHarness(URI)


class Neo4jHarness(Harness):
    name = "neo4j"

    def __init__(self, uri: str) -> None:
        from neo4j import GraphDatabase

        self.uri = uri
        self._store: GraphStore | None = None
        self._raw = GraphDatabase.driver(uri, auth=None)

    def open(self) -> GraphStore:
        """One store (one driver and its connection pool) shared until the next restart."""
        from tracegraph.graph.neo4j import Neo4jStore

        if self._store is None:
            self._store = Neo4jStore(self.uri)
        return self._store

    def _close_stores(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def restart(self) -> None:
        self._close_stores()
        self._raw.close()
        stopped = _run("stop", timeout=300)
        assert stopped.returncode == 0, stopped.stderr
        started = _run("start", timeout=600)
        assert started.returncode == 0, started.stderr
        from neo4j import GraphDatabase

        self._raw = GraphDatabase.driver(self.uri, auth=None)

    def close(self) -> None:
        self._close_stores()
        self._raw.close()

    # -- tampering with raw Cypher ------------------------------------------------------------
    def _cypher(self, query: str, **params: Any) -> list[Any]:
        records, _, _ = self._raw.execute_query(query, params)
        return records

    def change_record_field(self, trace_id: str, seq: int, key: str, value: Any) -> None:
        from tracegraph.graph.neo4j.codec import JSON_PREFIX, entry_properties, property_name

        (row,) = self._cypher(PROPERTY_KEYS, trace_id=trace_id, seq=seq)
        name = property_name(key, value)
        props: dict[str, Any] = {k: None for k in row["keys"] if k[2:] == key
                                 and k[:2] in ("r_", JSON_PREFIX)}
        if name.startswith(JSON_PREFIX):  # encoded as the backend encodes JSON values
            forged = ChainEntry("t", "t", 0, "", "", {key: value}, "")
            props[name] = entry_properties(forged)[name]
        else:
            props[name] = value
        self._cypher(SET_PROPERTIES, trace_id=trace_id, seq=seq, props=props)

    def delete_entry(self, trace_id: str, seq: int) -> None:
        self._cypher(DETACH_DELETE, trace_id=trace_id, seq=seq)

    def insert_entry(self, entry: ChainEntry) -> None:
        from tracegraph.graph.neo4j.codec import entry_properties

        self._cypher(SHIFT_UP, trace_id=entry.trace_id, seq=entry.seq)
        self._cypher(SHIFT_BACK, trace_id=entry.trace_id)
        self._cypher(CREATE_FORGED, props=entry_properties(entry))

    def renumber_entry(self, trace_id: str, seq: int, new_seq: int) -> None:
        self._cypher(SET_SEQ, trace_id=trace_id, seq=seq, new_seq=new_seq)

    def swap_entries(self, trace_id: str, seq_a: int, seq_b: int) -> None:
        self._cypher(SET_SEQ, trace_id=trace_id, seq=seq_a, new_seq=-1)
        self._cypher(SET_SEQ, trace_id=trace_id, seq=seq_b, new_seq=seq_a)
        self._cypher(SET_SEQ, trace_id=trace_id, seq=-1, new_seq=seq_b)

    # -- the Merkle-log tamper matrix, in raw Cypher --------------------------------------------
    log_tamper_missing = None

    def reopen(self) -> None:
        self._close_stores()

    def _chain(self, trace_id: str) -> list[ChainEntry]:
        from tracegraph.graph.neo4j.codec import entry_from_properties

        return [entry_from_properties(r["p"]) for r in self._cypher(ENTRIES_OF,
                                                                     trace_id=trace_id)]

    def _move_head(self, trace_id: str) -> None:
        chain = self._chain(trace_id)
        self._cypher(MOVE_HEAD, trace_id=trace_id, count=len(chain),
                     head=chain[-1].hash if chain else "0" * 64)

    def rewrite_from(self, trace_id: str, seq: int, key: str, value: Any,
                     *, with_leaves: bool = False) -> None:
        from tracegraph.graph.neo4j.codec import entry_properties

        chain = self._chain(trace_id)
        prev = chain[seq - 1].hash if seq else "0" * 64
        for e in chain[seq:]:
            record = {**e.record, key: value} if e.seq == seq else e.record
            new = seal(e.tenant_id, trace_id, e.seq, prev, e.kind, record)
            self._cypher(SET_PROPERTIES, trace_id=trace_id, seq=e.seq,
                         props=entry_properties(new))
            if with_leaves:
                self._cypher(SET_LEAF_HASH, trace_id=trace_id, seq=e.seq, hash=new.hash)
            prev = new.hash
        self._move_head(trace_id)

    def cut_tail(self, trace_id: str, keep: int) -> None:
        self._cypher(DELETE_FROM, trace_id=trace_id, keep=keep)
        self._move_head(trace_id)
        self._cypher(REOPEN_TRACE, trace_id=trace_id)

    def append_after_completion(self, trace_id: str, record: dict[str, Any]) -> None:
        from tracegraph.graph.neo4j.codec import entry_properties

        last = self._chain(trace_id)[-1]
        new = seal(last.tenant_id, trace_id, last.seq + 1, last.hash, "step", record)
        self._cypher(CREATE_FORGED, props=entry_properties(new))
        self._move_head(trace_id)

    def delete_trace(self, trace_id: str) -> None:
        self._cypher(DELETE_FROM, trace_id=trace_id, keep=0)
        self._cypher(DELETE_TRACE_NODE, trace_id=trace_id)

    def forge_tombstone(self, trace_id: str) -> None:
        (row,) = self._cypher(TRACE_HEAD, trace_id=trace_id)
        removed = "2026-01-01T00:00:00.000000Z"
        self._cypher(CREATE_TOMBSTONE, trace_id=trace_id, tenant=row["tenant"],
                     session=row["session"], count=row["count"], head=row["head"],
                     removed=removed, hash=tombstone_hash(row["tenant"], trace_id,
                                                          row["session"], row["count"],
                                                          row["head"], removed))
        self.delete_trace(trace_id)

    def set_trace_column(self, trace_id: str, column: str, value: str) -> None:
        self._cypher(SET_TRACE_COLUMN[column], trace_id=trace_id, value=value)

    def add_edge(self, tenant_id: str, src: str, dst: str, type: str) -> None:
        self._cypher(ADD_EDGE[type], tenant=tenant_id, src=src, dst=dst)

    def delete_edges(self, tenant_id: str, src: str, type: str) -> None:
        self._cypher(DELETE_EDGES[type], tenant=tenant_id, src=src)

    # Neo4j Community has no triggers and no write privileges per property: nothing in the
    # database can refuse a SET or DELETE of an entry (refuses_update/refuses_delete keep
    # the base class's None, and the append-only test says so when it skips).

"""Conformance harness for the Dgraph backend, on a real Dgraph v25 started by scripts/dgraph.

Tampering goes through raw DQL mutations sent with pydgraph, behind tracegraph's back: one
record predicate overwritten, an entry node's predicates deleted, a forged entry node
inserted (later entries renumbered), two entries' seq exchanged. Dgraph has no mechanism to
refuse a mutation of stored data, so ``refuses_update`` and ``refuses_delete`` stay
``None`` and the append-only refusal test is skipped with that reason.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pydgraph
import pytest
from tracegraph.graph.dgraph import DgraphStore
from tracegraph.graph.dgraph.codec import decode_record, encode_record
from tracegraph.graph.dgraph.dql import ENTRY_FIELDS
from tracegraph.graph.dgraph.keys import entry_key, key
from tracegraph.graph.protocol import GraphStore
from tracegraph.schema.chain import ChainEntry, seal, tombstone_hash

from ..harness import Harness, unavailable

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "dgraph"
ADDR = f"127.0.0.1:{os.environ.get('DGRAPH_GRPC_PORT', '9080')}"

#: Raw DQL of the tampering below (values go through variables here too): the entries of
#: the traces with an id (each test's trace ids are its own), whatever their tenant.
ENTRIES_OF_TRACE = f"""
query q($trace: string) {{
  t(func: eq(trace.id, $trace)) {{ e: ~entry.trace {{ entry.trace {{ uid }} {ENTRY_FIELDS} }} }}
}}
"""



# Raw DQL of the Merkle-log tamper matrix (tests/conformance/test_tamper.py).
TRACE_BY_ID = """
query q($trace: string) {
  t(func: eq(trace.id, $trace)) {
    uid trace.tenant trace.session trace.entry_count trace.head_hash
    e: ~entry.trace { uid entry.seq }
  }
}
"""
#: A trace's log runs by ``lrun.trace_key`` ("<tenant>/<trace>"), each with its packed row
#: (graph/dgraph/log_dql.py: the entries' hashes as one hex string, 64 digits each).
LEAVES_OF = """
query q($key: string) { l(func: eq(lrun.trace_key, $key)) { uid lrun.row } }
"""
NODE_BY_ID = "query q($id: string) { n(func: eq(node.id, $id)) { uid } }"
#: Derived trace columns the tamper matrix may change, as predicates.
TRACE_PREDICATES = {"status": "trace.status", "session_id": "trace.session",
                    "parent_trace_id": "trace.parent_id"}
EDGE_PREDICATE = {"DEPENDS_ON": "edge.depends_on"}


def _script(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), command], capture_output=True, text=True, timeout=1800,
                          check=False)


def make_harness(tmp_path_factory: pytest.TempPathFactory) -> DgraphHarness:
    started = _script("start")
    if started.returncode != 0:
        unavailable(f"scripts/dgraph start failed (exit {started.returncode}): "
                    f"{started.stderr.strip()[-800:]}")
    return DgraphHarness(ADDR)


class DgraphHarness(Harness):
    name = "dgraph"

    def __init__(self, addr: str) -> None:
        self.addr = addr
        self._stores: list[DgraphStore] = []
        self._stub = pydgraph.DgraphClientStub(addr)
        self._raw = pydgraph.DgraphClient(self._stub)

    def open(self) -> GraphStore:
        store = DgraphStore(self.addr)
        self._stores.append(store)
        return store

    def restart(self) -> None:
        for s in self._stores:
            s.close()
        self._stores.clear()
        for command in ("stop", "start"):
            done = _script(command)
            assert done.returncode == 0, f"scripts/dgraph {command}: {done.stderr[-800:]}"

    def close(self) -> None:
        for s in self._stores:
            s.close()
        self._stores.clear()
        self._stub.close()

    # -- raw DQL ------------------------------------------------------------------------------
    def _query(self, query: str, variables: dict[str, str]) -> dict[str, Any]:
        resp = self._raw.txn(read_only=True).query(query, variables=variables)
        result: dict[str, Any] = orjson.loads(resp.json)
        return result

    def _mutate(self, set_obj: Any = None, del_obj: Any = None) -> None:
        txn = self._raw.txn()
        txn.mutate(set_obj=set_obj, del_obj=del_obj, commit_now=True)

    def _entry_node(self, trace_id: str, seq: int) -> dict[str, Any]:
        found = [e for t in self._query(ENTRIES_OF_TRACE, {"$trace": trace_id})["t"]
                 for e in t.get("e", []) if e.get("entry.seq") == seq]
        assert len(found) == 1, f"entry {trace_id}:{seq} not found"
        node: dict[str, Any] = found[0]
        return node

    def change_record_field(self, trace_id: str, seq: int, key: str, value: Any) -> None:
        node = self._entry_node(trace_id, seq)
        kind = node.get("entry.kind")  # stored as the backend stores a record of its kind
        packed = "rec.body" in node  # and in the layout of its trace
        before = encode_record(decode_record(node), kind, packed=packed)
        after = encode_record({**decode_record(node), key: value}, kind, packed=packed)
        changed = {p: v for p, v in after.items() if before.get(p) != v}
        assert changed, "the tampering must change a stored predicate"
        self._mutate(set_obj={"uid": node["uid"], **changed})

    def delete_entry(self, trace_id: str, seq: int) -> None:
        node = self._entry_node(trace_id, seq)
        self._mutate(del_obj={"uid": node["uid"]})  # every predicate of its types

    def insert_entry(self, entry: ChainEntry) -> None:
        # An attacker adds a node that claims a seq; the entries already stored keep theirs
        # (their seq is part of what they hashed, so renumbering them would be a second
        # tampering, of content).
        trace = self._entry_node(entry.trace_id, 0)["entry.trace"]["uid"]
        forged = {
            "uid": "_:forged", "dgraph.type": "Entry", "entry.trace": {"uid": trace},
            "entry.key": entry_key(entry.tenant_id, entry.trace_id, entry.seq),
            "entry.seq": entry.seq,
            "entry.kind": entry.kind, "entry.hash": entry.hash,
            "entry.prev_hash": entry.prev_hash, "entry.version": entry.version,
            "entry.tenant": entry.tenant_id,
            **encode_record(entry.record, entry.kind, packed=True),
        }
        self._mutate(set_obj=forged)

    # -- the Merkle-log tamper matrix, in raw DQL mutations -----------------------------------
    log_tamper_missing = None

    def reopen(self) -> None:
        for s in self._stores:
            s.close()
        self._stores.clear()

    def _trace(self, trace_id: str) -> dict[str, Any]:
        (t,) = self._query(TRACE_BY_ID, {"$trace": trace_id})["t"]
        return t  # type: ignore[no-any-return]

    def _chain(self, trace_id: str) -> list[ChainEntry]:
        """The chain as tracegraph reads it (reading is not tampering)."""
        store = DgraphStore(self.addr)
        try:
            return list(store.entries(self._trace(trace_id)["trace.tenant"], [trace_id])
                        [trace_id])
        finally:
            store.close()

    def _move_head(self, trace_id: str) -> None:
        chain = self._chain(trace_id)
        self._mutate(set_obj={"uid": self._trace(trace_id)["uid"],
                              "trace.entry_count": len(chain),
                              "trace.head_hash": chain[-1].hash if chain else "0" * 64})

    def rewrite_from(self, trace_id: str, seq: int, key: str, value: Any,
                     *, with_leaves: bool = False) -> None:
        chain = self._chain(trace_id)
        key = f"{self._trace(trace_id)['trace.tenant']}/{trace_id}"
        runs = [(n["uid"], orjson.loads(n["lrun.row"]))
                for n in self._query(LEAVES_OF, {"$key": key})["l"]]
        leaves = {row["first_seq"] + k: (uid, row) for uid, row in runs
                  if row.get("leaf_kind") == "e" for k in range(row["count"])}
        prev = chain[seq - 1].hash if seq else "0" * 64
        for e in chain[seq:]:
            record = {**e.record, key: value} if e.seq == seq else e.record
            new = seal(e.tenant_id, trace_id, e.seq, prev, e.kind, record)
            node = self._entry_node(trace_id, e.seq)
            packed = "rec.body" in node
            before = encode_record(e.record, e.kind, packed=packed)
            after = encode_record(new.record, e.kind, packed=packed)
            changed = {p: v for p, v in after.items() if before.get(p) != v}
            self._mutate(set_obj={"uid": node["uid"], "entry.hash": new.hash,
                                  "entry.prev_hash": new.prev_hash, **changed})
            if with_leaves:
                uid, row = leaves[e.seq]
                at = (e.seq - row["first_seq"]) * 64
                row["hashes"] = row["hashes"][:at] + new.hash + row["hashes"][at + 64:]
                self._mutate(set_obj={"uid": uid, "lrun.row": orjson.dumps(row).decode()})
            prev = new.hash
        self._move_head(trace_id)

    def cut_tail(self, trace_id: str, keep: int) -> None:
        t = self._trace(trace_id)
        doomed = [{"uid": n["uid"]} for n in t.get("e", []) if n["entry.seq"] >= keep]
        self._mutate(del_obj=doomed)
        self._mutate(set_obj={"uid": t["uid"], "trace.status": "active"})
        self._mutate(del_obj={"uid": t["uid"], "trace.end": None, "trace.outcome": None,
                              "trace.completed_at": None})
        self._move_head(trace_id)

    def append_after_completion(self, trace_id: str, record: dict[str, Any]) -> None:
        last = self._chain(trace_id)[-1]
        forged = seal(last.tenant_id, trace_id, last.seq + 1, last.hash, "step", record)
        self.insert_entry(forged)
        self._move_head(trace_id)

    def delete_trace(self, trace_id: str) -> None:
        t = self._trace(trace_id)
        self._mutate(del_obj=[{"uid": n["uid"]} for n in t.get("e", [])] + [{"uid": t["uid"]}])

    def forge_tombstone(self, trace_id: str) -> None:
        t = self._trace(trace_id)
        tenant, session = t["trace.tenant"], t["trace.session"]
        count, head = t["trace.entry_count"], t["trace.head_hash"]
        removed = "2026-01-01T00:00:00.000000Z"
        self._mutate(set_obj={
            "uid": "_:stone", "dgraph.type": "Tombstone", "tomb.trace_id": trace_id,
            "tomb.key": key(tenant, trace_id), "tomb.tenant": tenant, "tomb.session": session,
            "tomb.entry_count": count,
            "tomb.final_hash": head, "tomb.removed_at": removed,
            "tomb.hash": tombstone_hash(tenant, trace_id, session, count, head, removed)})
        self.delete_trace(trace_id)

    def set_trace_column(self, trace_id: str, column: str, value: str) -> None:
        self._mutate(set_obj={"uid": self._trace(trace_id)["uid"],
                              TRACE_PREDICATES[column]: value})

    def _node_uid(self, node_id: str) -> str:
        (n,) = self._query(NODE_BY_ID, {"$id": node_id})["n"]
        return str(n["uid"])

    def add_edge(self, tenant_id: str, src: str, dst: str, type: str) -> None:
        self._mutate(set_obj={"uid": self._node_uid(src),
                              EDGE_PREDICATE[type]: [{"uid": self._node_uid(dst)}]})

    def delete_edges(self, tenant_id: str, src: str, type: str) -> None:
        self._mutate(del_obj={"uid": self._node_uid(src), EDGE_PREDICATE[type]: None})

    def renumber_entry(self, trace_id: str, seq: int, new_seq: int) -> None:
        node = self._entry_node(trace_id, seq)
        self._mutate(set_obj=[{"uid": node["uid"], "entry.seq": new_seq, "entry.key": entry_key(
            node["entry.tenant"], trace_id, new_seq)}])

    def swap_entries(self, trace_id: str, seq_a: int, seq_b: int) -> None:
        a, b = self._entry_node(trace_id, seq_a), self._entry_node(trace_id, seq_b)
        tenant = a["entry.tenant"]
        self._mutate(set_obj=[
            {"uid": a["uid"], "entry.seq": seq_b, "entry.key": entry_key(tenant, trace_id, seq_b)},
            {"uid": b["uid"], "entry.seq": seq_a, "entry.key": entry_key(tenant, trace_id, seq_a)},
        ])

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
from tracegraph.graph.protocol import GraphStore
from tracegraph.schema.chain import ChainEntry

from ..harness import Harness, unavailable

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "dgraph"
ADDR = f"127.0.0.1:{os.environ.get('DGRAPH_GRPC_PORT', '9080')}"

#: Raw DQL of the tampering below (values go through variables here too).
ENTRY_BY_KEY = f"""
query q($key: string) {{
  e(func: eq(entry.key, $key)) {{ entry.trace {{ uid }} {ENTRY_FIELDS} }}
}}
"""



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
        found = self._query(ENTRY_BY_KEY, {"$key": f"{trace_id}:{seq}"})["e"]
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
            "entry.key": f"{entry.trace_id}:{entry.seq}", "entry.seq": entry.seq,
            "entry.kind": entry.kind, "entry.hash": entry.hash,
            "entry.prev_hash": entry.prev_hash, "entry.version": entry.version,
            "entry.tenant": entry.tenant_id,
            **encode_record(entry.record, entry.kind, packed=True),
        }
        self._mutate(set_obj=forged)

    def renumber_entry(self, trace_id: str, seq: int, new_seq: int) -> None:
        node = self._entry_node(trace_id, seq)
        self._mutate(set_obj=[{"uid": node["uid"], "entry.seq": new_seq,
                               "entry.key": f"{trace_id}:{new_seq}"}])

    def swap_entries(self, trace_id: str, seq_a: int, seq_b: int) -> None:
        a, b = self._entry_node(trace_id, seq_a), self._entry_node(trace_id, seq_b)
        self._mutate(set_obj=[
            {"uid": a["uid"], "entry.seq": seq_b, "entry.key": f"{trace_id}:{seq_b}"},
            {"uid": b["uid"], "entry.seq": seq_a, "entry.key": f"{trace_id}:{seq_a}"},
        ])

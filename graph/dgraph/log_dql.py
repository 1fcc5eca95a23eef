"""The tenant Merkle log's Dgraph schema and DQL queries (named constants, values in variables).

Data model (docs/dev/merkle-integration.md, section 2):

* ``LogHead`` — one node per tenant: ``log.tenant`` (``@upsert``), ``log.size`` and
  ``log.edge`` (the compact-range hashes, 32 bytes each, concatenated, base64). Every append
  of the tenant rewrites ``log.size`` and ``log.edge`` on that uid, so Dgraph's conflict
  detection aborts one of two concurrent appends (the loser reruns and reads the new head);
  two first appends conflict on the ``@upsert`` index of ``log.tenant``.
* ``LogLeaf`` — one node per entry or tombstone: ``leaf.key`` ("<tenant>/<index>", the index
  zero-padded to :data:`INDEX_DIGITS` so key order is index order; ``@upsert``, so a leaf
  index is never stored twice), ``leaf.tenant``, ``leaf.index`` and the leaf row's columns
  (:mod:`tracegraph.graph.log_rows`).
* ``LogNode`` — every perfect subtree of at least 16 leaves (``log_rows.LOWEST_STORED_LEVEL``;
  a smaller one is rebuilt from its leaf rows): ``lnode.key`` ("<tenant>/<level>/<idx>",
  ``@upsert``) and ``lnode.hash`` (hex). Keys read from the right name one node only, so no other
  tenant's node ever answers.
* ``LogCheckpoint`` — signed checkpoints: ``cp.key`` ("<tenant>/<size>/<sha256 of the
  note>", ``@upsert``: the same checkpoint is stored once), ``cp.tenant``, ``cp.size``,
  ``cp.note``, ``cp.created_at``.
"""

from __future__ import annotations

#: Digits of the zero-padded leaf index in ``leaf.key``.
INDEX_DIGITS = 15

SCHEMA = """
log.tenant: string @index(exact) @upsert .
log.size: int .
log.edge: string .
leaf.key: string @index(exact) @upsert .
leaf.tenant: string .
leaf.index: int .
leaf.kind: string .
leaf.session: string @index(exact) .
leaf.trace: string @index(exact) .
leaf.seq: int .
leaf.entry_kind: string .
leaf.hash: string .
leaf.entry_count: int .
leaf.final_hash: string .
leaf.removed_at: string .
lnode.key: string @index(exact) @upsert .
lnode.hash: string .
cp.key: string @index(exact) @upsert .
cp.tenant: string @index(exact) .
cp.size: int .
cp.note: string .
cp.created_at: string .

type LogHead {
  log.tenant
  log.size
  log.edge
}

type LogLeaf {
  leaf.key
  leaf.tenant
  leaf.index
  leaf.kind
  leaf.session
  leaf.trace
  leaf.seq
  leaf.entry_kind
  leaf.hash
  leaf.entry_count
  leaf.final_hash
  leaf.removed_at
}

type LogNode {
  lnode.key
  lnode.hash
}

type LogCheckpoint {
  cp.key
  cp.tenant
  cp.size
  cp.note
  cp.created_at
}
"""

#: leaf row column (graph/log_rows.py) -> its predicate.
LEAF_PREDICATES = {
    "leaf_index": "leaf.index", "leaf_kind": "leaf.kind", "session_id": "leaf.session",
    "trace_id": "leaf.trace", "seq": "leaf.seq", "kind": "leaf.entry_kind",
    "record_hash": "leaf.hash", "entry_count": "leaf.entry_count",
    "final_hash": "leaf.final_hash", "removed_at": "leaf.removed_at",
}
_LEAF_FIELDS = " ".join(LEAF_PREDICATES.values())

#: The tenant's head, as a block of a query that runs inside a write transaction (the
#: append context, the removal): the query declares ``$tenant``.
HEAD_BLOCK = "log(func: eq(log.tenant, $tenant)) { uid log.size log.edge }"

HEAD = f"""
query head($tenant: string) {{
  {HEAD_BLOCK}
}}
"""
#: Stored nodes by key, and leaves by key (those that rebuild the nodes not stored).
NODES = f"""
query nodes($keys: [string], $leaves: [string]) {{
  n(func: eq(lnode.key, $keys)) {{ lnode.key lnode.hash }}
  l(func: eq(leaf.key, $leaves)) {{ {_LEAF_FIELDS} }}
}}
"""
#: Leaves whose keys lie between ``$lo`` and ``$hi`` (both included), in index order; the
#: tenant filter drops another tenant's keys that sort between them.
LEAVES = f"""
query leaves($tenant: string, $lo: string, $hi: string) {{
  l(func: between(leaf.key, $lo, $hi), orderasc: leaf.key)
    @filter(eq(leaf.tenant, $tenant)) {{ {_LEAF_FIELDS} }}
}}
"""
LEAVES_OF_TRACES = f"""
query leaves_of_traces($tenant: string, $ids: [string]) {{
  l(func: eq(leaf.trace, $ids), orderasc: leaf.key)
    @filter(eq(leaf.tenant, $tenant)) {{ {_LEAF_FIELDS} }}
}}
"""
LEAVES_OF_SESSION = f"""
query leaves_of_session($tenant: string, $session: string) {{
  l(func: eq(leaf.session, $session), orderasc: leaf.key)
    @filter(eq(leaf.tenant, $tenant)) {{ {_LEAF_FIELDS} }}
}}
"""
#: The upsert block of :func:`~tracegraph.graph.dgraph.log.add_checkpoint`: the mutation
#: runs only when no checkpoint has the key (:data:`CHECKPOINT_ABSENT`).
CHECKPOINT_BY_KEY = """
query checkpoint($key: string) {
  c as var(func: eq(cp.key, $key))
}
"""
CHECKPOINT_ABSENT = "@if(eq(len(c), 0))"
CHECKPOINTS = """
query checkpoints($tenant: string, $limit: int) {
  c(func: eq(cp.tenant, $tenant), orderdesc: cp.size, orderdesc: cp.created_at,
    first: $limit) { cp.size cp.note cp.created_at }
}
"""

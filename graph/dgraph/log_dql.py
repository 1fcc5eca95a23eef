"""The tenant Merkle log's Dgraph schema and DQL queries (named constants, values in variables).

Data model (docs/dev/merkle-integration.md, section 2):

* ``LogHead`` — one node per tenant: ``log.tenant`` (``@upsert``), ``log.size`` and
  ``log.edge`` (the compact-range hashes, 32 bytes each, concatenated, base64). Every append
  of the tenant rewrites ``log.size`` and ``log.edge`` on that uid, so Dgraph's conflict
  detection aborts one of two concurrent appends (the loser reruns and reads the new head);
  two first appends conflict on the ``@upsert`` index of ``log.tenant``.
* ``LogLeaf`` — one node per entry or tombstone: ``leaf.key`` ("<tenant>/<index>", the index
  zero-padded to :data:`INDEX_DIGITS` so key order is index order; ``@upsert``, so a leaf
  index is never stored twice), ``leaf.trace_key`` ("<tenant>/<trace id>", indexed),
  ``leaf.row`` (the leaf row's columns, :mod:`tracegraph.graph.log_rows`, with the tenant,
  as one JSON text: one predicate instead of ten, as ``codec.py`` packs records), and on
  the first leaf of each trace and on tombstone leaves ``leaf.session_key``
  ("<tenant>/<session id>", indexed: a session's traces, whose leaves ``leaf.trace_key``
  then finds). Reads keep a leaf only when its key and row name the tenant asked for.
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
leaf.trace_key: string @index(exact) .
leaf.session_key: string @index(exact) .
leaf.row: string .
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
  leaf.trace_key
  leaf.session_key
  leaf.row
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

_LEAF_FIELDS = "leaf.key leaf.row"

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
#: Leaves whose keys lie between ``$lo`` and ``$hi`` (both included), in index order
#: (another tenant's keys that sort between them are dropped by their key, in Python).
LEAVES = f"""
query leaves($lo: string, $hi: string) {{
  l(func: between(leaf.key, $lo, $hi), orderasc: leaf.key) {{ {_LEAF_FIELDS} }}
}}
"""
#: Leaves naming traces (by ``leaf.trace_key``), in index order.
LEAVES_OF_TRACES = f"""
query leaves_of_traces($keys: [string]) {{
  l(func: eq(leaf.trace_key, $keys), orderasc: leaf.key) {{ {_LEAF_FIELDS} }}
}}
"""
#: The first leaves (trace start, tombstone) of a session's traces: their trace ids.
SESSION_TRACES = f"""
query session_traces($key: string) {{
  l(func: eq(leaf.session_key, $key)) {{ {_LEAF_FIELDS} }}
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

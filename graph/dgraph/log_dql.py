"""The tenant Merkle log's Dgraph schema and DQL queries (named constants, values in variables).

Data model (docs/dev/merkle-integration.md, section 2):

* ``LogHead`` — one node per tenant: ``log.tenant`` (``@upsert``), ``log.size`` and
  ``log.edge`` (the compact-range hashes, 32 bytes each, concatenated, base64). Every append
  of the tenant rewrites ``log.size`` and ``log.edge`` on that uid, so Dgraph's conflict
  detection aborts one of two concurrent appends (the loser reruns and reads the new head);
  two first appends conflict on the ``@upsert`` index of ``log.tenant``.
* ``LogRun`` — the leaves of one append to one trace, or one tombstone leaf
  (:class:`tracegraph.graph.log_rows.LeafRun`): ``lrun.key`` ("<tenant>/<first index>",
  the index zero-padded to :data:`INDEX_DIGITS` so key order is index order; ``@upsert``,
  so a first index is never stored twice), ``lrun.trace_key`` ("<tenant>/<trace id>",
  indexed), ``lrun.row`` (the run's columns with the tenant, as one JSON text, as
  ``codec.py`` packs records), and on a trace's first run and on tombstone runs
  ``lrun.session_key`` ("<tenant>/<session id>", indexed: a session's traces, whose runs
  ``lrun.trace_key`` then finds). Reads keep a run only when its key and row name the
  tenant asked for.
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
lrun.key: string @index(exact) @upsert .
lrun.trace_key: string @index(exact) .
lrun.session_key: string @index(exact) .
lrun.row: string .
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

type LogRun {
  lrun.key
  lrun.trace_key
  lrun.session_key
  lrun.row
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

_RUN_FIELDS = "lrun.key lrun.row"

#: The tenant's head, as a block of a query that runs inside a write transaction (the
#: append context, the removal): the query declares ``$tenant``.
HEAD_BLOCK = "log(func: eq(log.tenant, $tenant)) { uid log.size log.edge }"

HEAD = f"""
query head($tenant: string) {{
  {HEAD_BLOCK}
}}
"""
NODES = """
query nodes($keys: [string]) {
  n(func: eq(lnode.key, $keys)) { lnode.key lnode.hash }
}
"""
#: The runs holding the leaves from the one keyed ``$start`` up to the one keyed ``$hi``:
#: ``a`` the last runs keyed at or before ``$start`` (from ``$floor``, the tenant's leaf 0;
#: a few, as another tenant's keys may sort between them), ``l`` the runs keyed from
#: ``$start`` to ``$hi``. Another tenant's runs are dropped by their key, in Python.
RUNS_IN = f"""
query runs($floor: string, $start: string, $hi: string) {{
  a(func: between(lrun.key, $floor, $start), orderdesc: lrun.key, first: 8) {{ {_RUN_FIELDS} }}
  l(func: between(lrun.key, $start, $hi), orderasc: lrun.key) {{ {_RUN_FIELDS} }}
}}
"""
#: Runs naming traces (by ``lrun.trace_key``), in index order.
RUNS_OF_TRACES = f"""
query runs_of_traces($keys: [string]) {{
  l(func: eq(lrun.trace_key, $keys), orderasc: lrun.key) {{ {_RUN_FIELDS} }}
}}
"""
#: The first runs (trace start, tombstone) of a session's traces: their trace ids.
SESSION_TRACES = f"""
query session_traces($key: string) {{
  l(func: eq(lrun.session_key, $key)) {{ {_RUN_FIELDS} }}
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

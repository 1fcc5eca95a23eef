"""The Dgraph schema and every DQL query the Dgraph backend runs, as named constants.

Values reach Dgraph only through DQL variables (``query q($id: string) {...}`` with
``txn.query(q, variables=...)``), never inside query text. DQL variables hold one value
each, so a query that looks up many ids at once declares a *list variable* with the
pseudo-type ``[string]`` (``$ids: [string]``) and uses it where a value list goes
(``eq(node.id, $ids)``); :func:`bind` expands it into numbered variables
(``$ids_0: string, ...`` and ``[$ids_0, ...]``), so the text only ever grows by variable
names. Queries whose filters depend on which arguments are set (listing traces) are
assembled from constant fragments by :func:`list_traces_query`.

Data model (see ``store.py`` for how an append writes it):

* ``Trace`` nodes: the trace index (tenant, session, agent, parent, status, outcome,
  created_at, models used) and its chain head (``trace.entry_count``,
  ``trace.step_count``, ``trace.head_hash``, ``trace.last_step``), which every append
  rewrites, so two concurrent appends to one trace write the same keys and one aborts.
  ``trace.packed`` (true) marks a trace whose entries keep their record in the packed
  layout (``codec.py``): every trace this code starts; traces without it are read per field.
* Ids are per tenant: lookups go through tenant-scoped keys (``trace.key``, ``node.key``,
  ``tomb.key``, ``entry.key``; ``keys.py``), which alone carry ``@upsert``.
* ``Entry`` nodes, one per hash-chain entry: ``entry.key`` ("<tenant>/<trace_id>:<seq>"),
  ``entry.trace`` (to its Trace), ``entry.seq``, ``entry.kind``, ``entry.hash``,
  ``entry.prev_hash``, ``entry.version``, ``entry.tenant``, and the record's fields as
  ``rec.*`` predicates (``codec.py``). Steps, API calls and human inputs are entries that
  also carry ``node.id`` and ``node.key`` and the types ``Step``, ``ApiCall``, ``HumanInput``.
* ``Alternative`` nodes (``node.id`` "<step_id>#alt<i>") hang off their step.
* Graph edges are ``edge.*`` uid predicates with ``@reverse``, each named after the
  stored edge type and pointing the way it reads (``step edge.depends_on dependency``).
* ``Tombstone`` nodes: what retention leaves of a removed trace.
* The tenant Merkle log (``LogHead``, ``LogLeaf``, ``LogNode``, ``LogCheckpoint``): see
  ``log_dql.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from tracegraph.graph.protocol import EdgeType

from . import log_dql
from .codec import BODY, KIND_PREDICATES, PACKED_PREDICATES, RECORD_PREDICATES, RECORD_SCHEMA

#: stored edge type -> predicate. The predicate points from the stored edge's src to dst.
EDGE_PREDICATES: dict[EdgeType, str] = {
    "HAS_STEP": "edge.has_step",
    "NEXT": "edge.next",
    "DEPENDS_ON": "edge.depends_on",
    "CHILD_OF": "edge.child_of",
    "SPAWNED": "edge.spawned",
    "CALLED": "edge.called",
    "CONSIDERED": "edge.considered",
    "ASKED": "edge.asked",
}

#: Predicates of every entry node. An entry has one type: ``Step``, ``ApiCall`` or
#: ``HumanInput`` for records with an id (each lists these predicates too), else ``Entry``.
_ENTRY = (
    "entry.key", "entry.trace", "entry.seq", "entry.kind", "entry.hash", "entry.prev_hash",
    "entry.version", "entry.tenant", *RECORD_PREDICATES,
)

_STEP_EDGES = (
    "edge.next", "edge.depends_on", "edge.spawned", "edge.called", "edge.considered", "edge.asked",
)


def _fields(predicates: Sequence[str]) -> str:
    """A type block's body: DQL wants one field per line."""
    return "\n".join(f"  {p}" for p in predicates)


SCHEMA = f"""
trace.id: string @index(exact) .
trace.key: string @index(exact) @upsert .
trace.tenant: string @index(exact) .
trace.session: string @index(exact) .
trace.agent: string @index(exact) .
trace.parent_id: string @index(exact) .
trace.status: string @index(exact) .
trace.outcome: string @index(exact) .
trace.created_at: string @index(exact) .
trace.completed_at: string .
trace.models: [string] @index(exact) .
trace.entry_count: int .
trace.step_count: int .
trace.head_hash: string .
trace.open_questions: string .
trace.packed: bool .
trace.last_step: uid .
trace.start: uid .
trace.end: uid .
entry.key: string @index(hash) @upsert .
entry.trace: uid @reverse .
entry.seq: int .
entry.kind: string .
entry.hash: string .
entry.prev_hash: string .
entry.version: int .
entry.tenant: string .
node.id: string @index(hash) .
node.key: string @index(hash) @upsert .
edge.has_step: [uid] @reverse .
edge.next: uid @reverse .
edge.depends_on: [uid] @reverse .
edge.child_of: uid @reverse .
edge.spawned: [uid] @reverse .
edge.called: [uid] @reverse .
edge.considered: [uid] @reverse .
edge.asked: [uid] @reverse .
tomb.trace_id: string @index(exact) .
tomb.key: string @index(exact) @upsert .
tomb.tenant: string @index(exact) .
tomb.session: string @index(exact) .
tomb.entry_count: int .
tomb.final_hash: string .
tomb.removed_at: string .
tomb.hash: string .
{RECORD_SCHEMA}

type Trace {{
  trace.id
  trace.key
  trace.tenant
  trace.session
  trace.agent
  trace.parent_id
  trace.status
  trace.outcome
  trace.created_at
  trace.completed_at
  trace.models
  trace.entry_count
  trace.step_count
  trace.head_hash
  trace.open_questions
  trace.packed
  trace.last_step
  trace.start
  trace.end
  edge.has_step
  edge.child_of
}}

type Entry {{
{_fields(_ENTRY)}
}}

type Step {{
{_fields((*_ENTRY, "node.id", "node.key", *_STEP_EDGES))}
}}

type ApiCall {{
{_fields((*_ENTRY, "node.id", "node.key"))}
}}

type HumanInput {{
{_fields((*_ENTRY, "node.id", "node.key"))}
}}

type Alternative {{
  node.id
  node.key
}}

type Tombstone {{
  tomb.trace_id
  tomb.key
  tomb.tenant
  tomb.session
  tomb.entry_count
  tomb.final_hash
  tomb.removed_at
  tomb.hash
}}
{log_dql.SCHEMA}"""

_ENVELOPE = "uid entry.seq entry.kind entry.hash entry.prev_hash entry.version entry.tenant"
#: What an entry node of no known type is read back with: every predicate an entry has.
ENTRY_FIELDS = " ".join([_ENVELOPE, *RECORD_PREDICATES])
#: entry kind -> what its entries are read back with (see codec.KIND_PREDICATES).
KIND_FIELDS = {kind: " ".join([_ENVELOPE, *preds]) for kind, preds in KIND_PREDICATES.items()}
#: entry kind -> the one type its nodes have (other kinds' entries have the type ``Entry``).
KIND_TYPES = {"step": "Step", "api_call": "ApiCall", "human_input": "HumanInput"}
_UNTYPED = " AND ".join(f"NOT type({t})" for t in KIND_TYPES.values())
#: What the entries of a packed trace are read back with, whatever their kind.
PACKED_FIELDS = " ".join([_ENVELOPE, *PACKED_PREDICATES])
#: What a trace row is read back with (its start and end entries in either layout).
TRACE_FIELDS = (
    "uid trace.id trace.tenant trace.status trace.entry_count trace.head_hash "
    f"trace.start {{ {KIND_FIELDS['trace_started']} {BODY} }} "
    f"trace.end {{ {KIND_FIELDS['trace_completed']} {BODY} }}"
)

# -- appends -------------------------------------------------------------------------------

#: Everything one append needs to know, read inside its transaction: the tenant's chain
#: head (with its session, which the log leaves name), a tombstone, which of the batch's ids
#: are already stored, the nodes its edges point to, and the tenant's log head. Ids are per
#: tenant: ``$trace``, ``$ids``, ``$refs`` and ``$parent`` are tenant-scoped keys
#: (``keys.py``), and records are still kept only when their trace's tenant is the caller's
#: (:func:`.nodes.owner_of`).
APPEND_CONTEXT = f"""
query append($tenant: string, $trace: string, $ids: [string], $refs: [string],
             $parent: string) {{
  head(func: eq(trace.key, $trace)) {{
    uid
    trace.tenant
    trace.session
    trace.entry_count
    trace.step_count
    trace.head_hash
    trace.open_questions
    trace.packed
    trace.last_step {{ uid node.id }}
    trace.end {{ uid }}
  }}
  tomb(func: eq(tomb.key, $trace)) {{ uid }}
  have(func: eq(node.key, $ids)) {{
    uid
    node.id
    entry.seq
    entry.trace {{ trace.id trace.tenant }}
  }}
  refs(func: eq(node.key, $refs)) {{
    uid
    node.id
    entry.kind
    entry.trace {{ trace.id trace.tenant }}
  }}
  parent(func: eq(trace.key, $parent)) {{ uid trace.tenant }}
  {log_dql.HEAD_BLOCK}
}}
"""

# -- reads -----------------------------------------------------------------------------------

GET_TRACES = f"""
query traces($keys: [string]) {{
  t(func: eq(trace.key, $keys)) {{ {TRACE_FIELDS} }}
}}
"""

# A query pays for every predicate it names on every node, and for every filter on every
# node it filters. The entries of a packed trace are read in one block with the few packed
# predicates. Per-field traces are read in one block per node type, each asking for its
# kind's predicates only; nodes of no kind's type (trace start and completion, anything
# else linked to the trace) are read with every predicate.
_ENTRIES_TYPED = {
    kind: f"e_{kind}: ~entry.trace @filter(type({t})) {{ {KIND_FIELDS[kind]} }}"
    for kind, t in KIND_TYPES.items()
}
_ENTRIES = """
query entries($keys: [string]) {{
  p(func: eq(trace.key, $keys)) @filter(has(trace.packed)) {{
    trace.id
    e_packed: ~entry.trace {{ {packed} }}
  }}
  t(func: eq(trace.key, $keys)) @filter(NOT has(trace.packed)) {{
    trace.id
    {blocks}
    e_other: ~entry.trace @filter({untyped}) {{ {fields} }}
  }}
}}
"""


def entries_query(kinds: frozenset[str] | None) -> str:
    """The entries of traces, with only the typed blocks of ``kinds`` (all when ``None``)."""
    blocks = "\n    ".join(b for k, b in _ENTRIES_TYPED.items() if kinds is None or k in kinds)
    return _ENTRIES.format(packed=PACKED_FIELDS, blocks=blocks, untyped=_UNTYPED,
                           fields=ENTRY_FIELDS)


ENTRIES = entries_query(None)

#: Entries by key: a packed entry is one with ``rec.body``.
ENTRIES_AT = "query entries_at($keys: [string]) {{\n{blocks}\n}}".format(blocks="\n".join([
    f"  e_packed(func: eq(entry.key, $keys)) @filter(has({BODY})) {{ entry.key "
    f"entry.trace {{ trace.id trace.tenant }} {PACKED_FIELDS} }}",
    *(f"  e_{kind}(func: eq(entry.key, $keys)) @filter(type({t}) AND NOT has({BODY})) "
      f"{{ entry.key entry.trace {{ trace.id trace.tenant }} {KIND_FIELDS[kind]} }}"
      for kind, t in KIND_TYPES.items()),
    f"  e_other(func: eq(entry.key, $keys)) @filter({_UNTYPED} AND NOT has({BODY})) {{ "
    f"entry.key entry.trace {{ trace.id trace.tenant }} {ENTRY_FIELDS} }}",
]))

CHILDREN = """
query children($tenant: string, $keys: [string]) {
  t(func: eq(trace.key, $keys)) {
    trace.id
    kids: ~edge.child_of (orderasc: trace.created_at, orderasc: trace.id)
      @filter(eq(trace.tenant, $tenant)) { trace.id }
  }
}
"""

#: Where ids live: chain records and alternatives (``node.key``) and traces (``trace.key``).
RESOLVE = """
query resolve($keys: [string]) {
  n(func: eq(node.key, $keys)) {
    uid
    node.id
    entry.kind
    entry.seq
    entry.trace { trace.id trace.tenant }
    alt: ~edge.considered { entry.seq entry.trace { trace.id trace.tenant } }
  }
  t(func: eq(trace.key, $keys)) { uid trace.id trace.tenant }
}
"""

#: Fields of a node at the end of an edge: its id, owner and the entry that made the edge.
_END = (
    "uid node.id trace.id entry.seq rec.created_at rec.depends_on "
    "entry.trace { trace.id trace.tenant } "
    "trace.tenant trace.start { entry.seq rec.created_at } "
    "alt: ~edge.considered { entry.trace { trace.id trace.tenant } }"
)
_OUT = " ".join(f"{p} {{ {_END} }}" for p in EDGE_PREDICATES.values())
_IN = " ".join(f"~{p} {{ {_END} }}" for p in EDGE_PREDICATES.values())

EDGES_OUT = f"""
query edges_out($keys: [string]) {{
  n(func: eq(node.key, $keys)) {{ {_END} {_OUT} }}
  t(func: eq(trace.key, $keys)) {{ {_END} {_OUT} }}
}}
"""

EDGES_IN = f"""
query edges_in($keys: [string]) {{
  n(func: eq(node.key, $keys)) {{ {_END} {_IN} }}
  t(func: eq(trace.key, $keys)) {{ {_END} {_IN} }}
}}
"""

#: Every tenant with a trace (operators' listing, e.g. retention over all tenants).
TENANTS = """
query tenants() {
  t(func: has(trace.tenant)) @groupby(trace.tenant) { count(uid) }
  x(func: has(tomb.tenant)) @groupby(tomb.tenant) { count(uid) }
}
"""

#: Tombstones of a session (ordered by removal time, then trace id, in Python).
TOMBSTONES = """
query tombstones($tenant: string, $session: string) {
  t(func: eq(tomb.session, $session)) @filter(eq(tomb.tenant, $tenant)) {
    tomb.trace_id
    tomb.tenant
    tomb.session
    tomb.entry_count
    tomb.final_hash
    tomb.removed_at
    tomb.hash
  }
}
"""

# -- retention ---------------------------------------------------------------------------------

_INBOUND = " ".join(f"~{p} {{ uid }}" for p in EDGE_PREDICATES.values())
#: What removing a trace deletes: its node, its entries and alternatives, and every edge
#: that reaches one of them; and the tenant's log head, which its tombstone leaf extends.
REMOVAL = f"""
query removal($tenant: string, $trace: string) {{
  t(func: eq(trace.key, $trace)) {{
    uid
    trace.tenant
    {_INBOUND}
    e: ~entry.trace {{ uid edge.considered {{ uid }} {_INBOUND} }}
  }}
  {log_dql.HEAD_BLOCK}
}}
"""

#: What restoring an imported tombstone must know: whether the trace or a tombstone of its
#: id is stored, and the tenant's log head, which the restored leaves extend.
RESTORE_TOMBSTONE = f"""
query restore($tenant: string, $trace: string) {{
  t(func: eq(trace.key, $trace)) {{ uid trace.tenant }}
  tomb(func: eq(tomb.key, $trace)) {{ uid tomb.tenant tomb.hash }}
  {log_dql.HEAD_BLOCK}
}}
"""

# -- graph queries over the flow view ------------------------------------------------------------
# The flow view points from cause to effect: every stored edge forwards, except DEPENDS_ON
# and CHILD_OF, which it follows backwards (docs/graph-queries.md).

#: Flow view predicates leading from a node to its effects (DOWN) and to its causes (UP).
FLOW_DOWN = (
    "edge.has_step", "edge.next", "~edge.depends_on", "edge.spawned", "~edge.child_of",
    "edge.called", "edge.considered", "edge.asked",
)
FLOW_UP = (
    "~edge.has_step", "~edge.next", "edge.depends_on", "~edge.spawned", "edge.child_of",
    "~edge.called", "~edge.considered", "~edge.asked",
)
#: A node of a fetched subgraph with its flow edges out (the node on the cause side).
FLOW_NODE = "uid node.id trace.id " + " ".join(f"{p} {{ uid }}" for p in FLOW_DOWN)


def _collect(start: str, prefix: str, preds: Sequence[str]) -> str:
    """A var block collecting every node within ``$depth`` flow hops of ``start``."""
    body = " ".join(f"{prefix}{i} as {p}" for i, p in enumerate(preds))
    return f"var(func: uid({start})) @recurse(depth: $depth, loop: false) {{ {body} }}"


def _vars(start: str, prefix: str, preds: Sequence[str]) -> str:
    """``start`` (if any) and the variables :func:`_collect` defined, comma separated."""
    return ", ".join([*([start] if start else []), *(f"{prefix}{i}" for i in range(len(preds)))])


#: The nodes within ``$depth`` hops of ``$start`` in the flow view, up and/or down, with
#: their flow edges (``@recurse`` with depth; the depths themselves are found in Python).
LINEAGE = {
    "UP": f"""
query lineage($start: string, $depth: int) {{
  S as var(func: uid($start))
  {_collect("S", "u", FLOW_UP)}
  nodes(func: uid({_vars("S", "u", FLOW_UP)})) {{ {FLOW_NODE} }}
}}
""",
    "DOWN": f"""
query lineage($start: string, $depth: int) {{
  S as var(func: uid($start))
  {_collect("S", "d", FLOW_DOWN)}
  nodes(func: uid({_vars("S", "d", FLOW_DOWN)})) {{ {FLOW_NODE} }}
}}
""",
    "BOTH": f"""
query lineage($start: string, $depth: int) {{
  S as var(func: uid($start))
  {_collect("S", "u", FLOW_UP)}
  {_collect("S", "d", FLOW_DOWN)}
  nodes(func: uid({_vars("S", "u", FLOW_UP)}, {_vars("", "d", FLOW_DOWN)})) {{
    {FLOW_NODE}
  }}
}}
""",
}

#: Every node that can lie on a flow path ``$from`` -> ``$to`` of at most ``$depth`` edges:
#: within ``$depth`` hops down from ``$from`` and up from ``$to``; with their flow edges.
PATH_SUBGRAPH = f"""
query paths($from: string, $to: string, $depth: int) {{
  S as var(func: uid($from))
  T as var(func: uid($to))
  {_collect("S", "d", FLOW_DOWN)}
  {_collect("T", "u", FLOW_UP)}
  nodes(func: uid({_vars("S", "d", FLOW_DOWN)})) @filter(uid({_vars("T", "u", FLOW_UP)})) {{
    {FLOW_NODE}
  }}
}}
"""

# -- listing traces: assembled from constant fragments -------------------------------------------

_LIST = """
query list($tenant: string, $limit: int{decls}) {{
  t(func: {root}, {order}: trace.created_at, {order}: trace.id, first: $limit)
    @filter({filters}) {{ {fields} }}
}}
"""
#: filter name -> (variable declaration, filter expression, root function or None)
LIST_FILTERS: dict[str, tuple[str, str, str | None]] = {
    "session": ("$session: string", "eq(trace.session, $session)",
                "eq(trace.session, $session)"),
    "parent": ("$parent: string", "eq(trace.parent_id, $parent)",
               "eq(trace.parent_id, $parent)"),
    "agent": ("$agent: string", "eq(trace.agent, $agent)", "eq(trace.agent, $agent)"),
    "model": ("$model: string", "eq(trace.models, $model)", "eq(trace.models, $model)"),
    "status": ("$status: string", "eq(trace.status, $status)", None),
    "outcome": ("$outcome: string", "eq(trace.outcome, $outcome)", None),
    "after": ("$after: string", "ge(trace.created_at, $after)", None),
    "before": ("$before: string", "lt(trace.created_at, $before)", None),
    "roots": ("", "NOT has(trace.parent_id)", None),
    "cursor": ("$cur_time: string, $cur_id: string",
               "(lt(trace.created_at, $cur_time) OR "
               "(eq(trace.created_at, $cur_time) AND lt(trace.id, $cur_id)))", None),
    # the cursor of the ascending (oldest first) order: strictly after it means newer
    "cursor_asc": ("$cur_time: string, $cur_id: string",
                   "(gt(trace.created_at, $cur_time) OR "
                   "(eq(trace.created_at, $cur_time) AND gt(trace.id, $cur_id)))", None),
}
_ROOT_ORDER = ("session", "parent", "agent", "model")


def list_traces_query(used: Sequence[str], *, ascending: bool = False) -> str:
    """The listing query for the filters named in ``used`` (keys of :data:`LIST_FILTERS`).

    Newest first (created_at, then trace id, descending); with ``ascending`` oldest first.

    The root function is the most selective equality filter given (session, parent, agent,
    model), else the tenant; every other filter, and the tenant, go into ``@filter``.
    """
    root = next((LIST_FILTERS[n][2] for n in _ROOT_ORDER if n in used), None)
    decls = "".join(f", {LIST_FILTERS[n][0]}" for n in used if LIST_FILTERS[n][0])
    filters = " AND ".join(["eq(trace.tenant, $tenant)", *(LIST_FILTERS[n][1] for n in used)])
    return _LIST.format(decls=decls, root=root or "eq(trace.tenant, $tenant)",
                        order="orderasc" if ascending else "orderdesc",
                        filters=filters, fields=TRACE_FIELDS)


# -- list variables ----------------------------------------------------------------------------

_LIST_DECL = re.compile(r"\$(\w+): \[string\]")
#: A value no id, key or trace id ever has (ids are never empty): stands in for an empty list.
NO_MATCH = ""


def bind(query: str, values: Mapping[str, str | Sequence[str]]) -> tuple[str, dict[str, str]]:
    """Expand the list variables of ``query`` for the given values; return text and variables.

    ``values`` maps variable names (without ``$``) to a string, or for a list variable to a
    sequence of strings. Only variable *names* are added to the text.

    >>> q, v = bind("query q($ids: [string]) { n(func: eq(node.id, $ids)) { uid } }",
    ...             {"ids": ["a", "b"]})
    >>> q
    'query q($ids_0: string, $ids_1: string) { n(func: eq(node.id, [$ids_0, $ids_1])) { uid } }'
    >>> v
    {'$ids_0': 'a', '$ids_1': 'b'}
    """
    variables: dict[str, str] = {}
    lists = set(_LIST_DECL.findall(query))
    for name, value in values.items():
        if name in lists:
            items = list(value) or [NO_MATCH]
            names = [f"${name}_{i}" for i in range(len(items))]
            query = query.replace(f"${name}: [string]",
                                  ", ".join(f"{n}: string" for n in names))
            listed = "[" + ", ".join(names) + "]"
            query = re.sub(rf"\${name}\b", listed, query)  # names hold no backslash
            variables.update(zip(names, items, strict=True))
        else:
            assert isinstance(value, str)
            variables[f"${name}"] = value
    missing = lists - set(values)
    if missing:
        raise ValueError(f"list variables without values: {sorted(missing)}")
    return query, variables


# -- is the schema in place? -----------------------------------------------------------------------

_PREDICATE_LINE = re.compile(
    r"^(?P<name>[\w.]+): (?P<list>\[)?(?P<type>\w+)\]?(?P<rest>.*) \.$", re.MULTILINE)
_TYPE_BLOCK = re.compile(r"^type (?P<name>\w+) \{\n(?P<fields>.*?)\n\}", re.MULTILINE | re.DOTALL)


def expected_predicates(schema: str = SCHEMA) -> dict[str, dict[str, object]]:
    """Predicate -> what ``schema(pred: ...)`` reports for it once ``schema`` is applied.

    >>> got = expected_predicates("a.b: [string] @index(exact, hash) @upsert .\\nc: uid @reverse .")
    >>> got["a.b"]
    {'type': 'string', 'list': True, 'index': True, 'tokenizer': ['exact', 'hash'], 'upsert': True}
    >>> got["c"]
    {'type': 'uid', 'reverse': True}
    """
    out: dict[str, dict[str, object]] = {}
    for m in _PREDICATE_LINE.finditer(schema):
        spec: dict[str, object] = {"type": m["type"]}
        if m["list"]:
            spec["list"] = True
        rest = m["rest"]
        index = re.search(r"@index\(([^)]*)\)", rest)
        if index:
            spec["index"] = True
            spec["tokenizer"] = sorted(t.strip() for t in index[1].split(","))
        if "@upsert" in rest:
            spec["upsert"] = True
        if "@reverse" in rest:
            spec["reverse"] = True
        out[m["name"]] = spec
    return out


def expected_types(schema: str = SCHEMA) -> dict[str, set[str]]:
    """Type -> its fields, as ``schema(type: ...)`` reports them once ``schema`` is applied."""
    return {m["name"]: {f.strip() for f in m["fields"].splitlines() if f.strip()}
            for m in _TYPE_BLOCK.finditer(schema)}


#: What the cluster's schema says of our predicates and types (names are our constants:
#: schema queries take no variables).
SCHEMA_PREDICATES = (
    f"schema(pred: [{', '.join(expected_predicates())}]) "
    "{ type index tokenizer upsert reverse list }"
)
SCHEMA_TYPES = f"schema(type: [{', '.join(expected_types())}]) {{}}"

"""Every Cypher statement the Neo4j backend runs: named constants with ``$parameters``.

Nothing here is built from user input; ids, tenants and values always travel as
parameters.

The graph:

* ``(:Trace)`` — one per trace: its index (tenant, session, agent, parent, status,
  outcome, times) and its chain head (``entry_count``, ``step_count``, ``head_hash``,
  ``last_step_id``, ``completed_seq``). Mutable; the chain itself is not stored here.
* ``(:Entry)`` — one per hash-chain entry, unique on ``(tenant_id, trace_id, seq)``. Envelope fields
  (``tenant_id``, ``trace_id``, ``chain_seq``, ``prev_hash``, ``kind``, ``version``,
  ``hash``) are properties, ``seq`` is its position; every record field ``k`` is a
  property ``r_k`` (strings, numbers, booleans, lists of strings) or ``j_k`` (canonical
  JSON text of anything else). Reads rebuild the entry from exactly these properties, so
  changing one of them is caught by verification.
  Steps, API calls and human inputs are also graph nodes: ``(:Entry:Record:Step)``,
  ``:ApiCall``, ``:HumanInput``, with ``node_id`` (unique among the tenant's ``:Record``
  nodes).
  Trace start and completion entries are plain ``(:Entry)`` nodes.
* ``(:Alternative)`` — ``<step_id>#alt<i>``, derived from its step's entry, found through
  its step's CONSIDERED relationships.
* Relationships from :func:`tracegraph.graph.edges.edges_for`: ``HAS_STEP``, ``NEXT``,
  ``DEPENDS_ON``, ``CHILD_OF``, ``SPAWNED``, ``CALLED``, ``CONSIDERED``, ``ASKED``; beside
  each ``DEPENDS_ON`` and ``CHILD_OF`` its mirror ``DEPENDED_ON_BY`` / ``PARENT_OF`` (the
  flow direction, for path searches; never reported as stored edges); and for
  people browsing the graph ``(:Trace)-[:IN_SESSION]->(:Session)``,
  ``(:Trace)-[:BY_AGENT]->(:Agent)``, ``(:Trace)-[:USED_MODEL]->(:Model)`` (the model
  filter of trace listings uses the last one).
* ``(:Tombstone)`` — what retention leaves of a removed trace.

Ids are per tenant: every node carries ``tenant_id``, each uniqueness constraint is on the
tenant and the id, and every statement finds a node by both (the constraint's index), so
two tenants may use the same ids and no statement reads a node of another tenant.
"""

from __future__ import annotations

from typing import Final

# -- schema: constraints and indexes, each created idempotently ---------------------------
SCHEMA: Final[tuple[str, ...]] = (
    # Databases written before keyed traces, entries, records and tombstones by their ids
    # alone (unique across tenants): those constraints and indexes go, and the ones by
    # tenant and id below replace them (every node already carries its tenant_id).
    "DROP CONSTRAINT tracegraph_trace_id IF EXISTS",
    "DROP CONSTRAINT tracegraph_entry_seq IF EXISTS",
    "DROP CONSTRAINT tracegraph_record_id IF EXISTS",
    "DROP CONSTRAINT tracegraph_tombstone_id IF EXISTS",
    "DROP INDEX tracegraph_trace_session IF EXISTS",
    "DROP INDEX tracegraph_trace_agent IF EXISTS",
    "DROP INDEX tracegraph_trace_parent IF EXISTS",
    "CREATE CONSTRAINT tracegraph_trace_key IF NOT EXISTS "
    "FOR (t:Trace) REQUIRE (t.tenant_id, t.trace_id) IS UNIQUE",
    # A forked chain is impossible even if the head lock were bypassed.
    "CREATE CONSTRAINT tracegraph_entry_key IF NOT EXISTS "
    "FOR (e:Entry) REQUIRE (e.tenant_id, e.trace_id, e.seq) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_record_key IF NOT EXISTS "
    "FOR (r:Record) REQUIRE (r.tenant_id, r.node_id) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_tombstone_key IF NOT EXISTS "
    "FOR (x:Tombstone) REQUIRE (x.tenant_id, x.trace_id) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_session_id IF NOT EXISTS "
    "FOR (s:Session) REQUIRE (s.tenant_id, s.session_id) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_agent_id IF NOT EXISTS "
    "FOR (a:Agent) REQUIRE (a.tenant_id, a.agent_id) IS UNIQUE",
    "CREATE CONSTRAINT tracegraph_model_id IF NOT EXISTS "
    "FOR (m:Model) REQUIRE (m.tenant_id, m.model_id) IS UNIQUE",
    "CREATE INDEX tracegraph_trace_tenant_time IF NOT EXISTS "
    "FOR (t:Trace) ON (t.tenant_id, t.created_at)",
    "CREATE INDEX tracegraph_trace_tenant_session IF NOT EXISTS "
    "FOR (t:Trace) ON (t.tenant_id, t.session_id)",
    "CREATE INDEX tracegraph_trace_tenant_agent IF NOT EXISTS "
    "FOR (t:Trace) ON (t.tenant_id, t.agent_id)",
    "CREATE INDEX tracegraph_trace_tenant_parent IF NOT EXISTS "
    "FOR (t:Trace) ON (t.tenant_id, t.parent_trace_id)",
    "CREATE INDEX tracegraph_trace_created IF NOT EXISTS FOR (t:Trace) ON (t.created_at)",
    "CREATE INDEX tracegraph_model_name IF NOT EXISTS FOR (m:Model) ON (m.model_id)",
    "CREATE INDEX tracegraph_tombstone_session IF NOT EXISTS "
    "FOR (x:Tombstone) ON (x.tenant_id, x.session_id)",
)
AWAIT_INDEXES: Final = "CALL db.awaitIndexes(300)"

# -- appends --------------------------------------------------------------------------------
#: The start of every append, in one round trip. It takes the trace's write lock first and
#: only then reads the head: the Neo4j manual's pattern against lost updates (a property
#: written before it is read), so concurrent appends to one trace wait here for each other
#: and each reads the head the previous one committed. Then: whether retention removed a
#: trace of that id, which of the batch's record ids (``$ids``) are stored and as which
#: entry (idempotent retries), and, for a ``trace_started`` (``$starting``), entry 0.
#: Second, the tenant's Merkle log head (``graph/neo4j/log.py``), created empty if absent
#: and locked the same way before its size and edge are read: one log order per tenant
#: whatever number of servers append (the lock order, trace then log head, is also the
#: order of a removal).
BEGIN_APPEND: Final = """
OPTIONAL MATCH (t:Trace {tenant_id: $tenant, trace_id: $trace_id})
SET t._lock = true
WITH t
MERGE (log:LogHead {tenant_id: $tenant})
ON CREATE SET log.size = 0
SET log._lock = true
WITH t, log
OPTIONAL MATCH (x:Tombstone {tenant_id: $tenant, trace_id: $trace_id})
WITH t, log, x IS NOT NULL AS removed
CALL () {
  UNWIND $ids AS id
  MATCH (r:Record {tenant_id: $tenant, node_id: id})
  RETURN collect([id, properties(r)]) AS stored
}
OPTIONAL MATCH (first:Entry {tenant_id: $tenant, trace_id: $trace_id, seq: 0}) WHERE $starting
RETURN t IS NOT NULL AS exists, t.entry_count AS entry_count,
       t.step_count AS step_count, t.head_hash AS head_hash, t.last_step_id AS last_step_id,
       t.completed_seq AS completed_seq, t.session_id AS session_id,
       t.open_questions AS open_questions, removed, stored,
       properties(first) AS first, log.size AS log_size, log.edge AS log_edge
"""
#: The trace node as retention finds it (locked, as appends lock it).
LOCK_TRACE: Final = """
MATCH (t:Trace {tenant_id: $tenant, trace_id: $trace_id})
SET t._lock = true
RETURN t.trace_id AS trace_id
"""
#: Everything an append writes, in one statement (one round trip, one plan), after
#: :data:`BEGIN_APPEND` has locked and read the head. Each part is a unit subquery over a
#: list that is empty when the batch has nothing of that kind, so the outer row passes
#: through every part, and later parts see what earlier ones created:
#:
#: * ``$start``: ``[]``, or ``[{session_id, agent_id, parent_trace_id, created_at}]`` for a
#:   ``trace_started`` entry: the trace node, its session and agent;
#: * ``$plain``: entries that are no graph node (trace start and completion);
#: * ``$steps``: each step's entry node, its HAS_STEP from the trace, its Alternative nodes
#:   with CONSIDERED (``row.alternatives``: ``[node_id, index, text, selected]``), and the
#:   NEXT chain from the trace's previous last step (``$last_step_id``) through the batch
#:   in order; new nodes are linked as they are created, with no index lookups;
#: * ``$api_calls``, ``$human_inputs``: their entry nodes;
#: * the other edges :func:`tracegraph.graph.edges.edges_for` lists, one list of
#:   ``[src, dst]`` rows per type: DEPENDS_ON ``[dependent, dependency]`` and CHILD_OF
#:   ``[child, parent]`` with their flow-direction mirrors, SPAWNED ``[step, trace]``,
#:   CALLED ``[step, api call]``, ASKED ``[step, human input]``;
#: * the new head (``$entry_count``, ``$step_count``, ``$head_hash``, ``$head_step_id``),
#:   the status a human input set (``$status``, or null) with the questions still waiting
#:   (``$open_questions``, null for none), the completion (``$completed``:
#:   ``{status, outcome, completed_at, seq}`` or null) and
#:   the models the batch's steps used (``$models``).
STORE_APPEND: Final = """
CALL () {
  UNWIND $start AS s
  CREATE (t:Trace {trace_id: $trace_id, node_id: $trace_id, tenant_id: $tenant,
    session_id: s.session_id, status: 'active', created_at: s.created_at})
  SET t.agent_id = s.agent_id, t.parent_trace_id = s.parent_trace_id
  MERGE (session:Session {tenant_id: $tenant, session_id: s.session_id})
  CREATE (t)-[:IN_SESSION]->(session)
  FOREACH (agent_id IN CASE WHEN s.agent_id IS NULL THEN [] ELSE [s.agent_id] END |
    MERGE (a:Agent {tenant_id: $tenant, agent_id: agent_id})
    CREATE (t)-[:BY_AGENT]->(a))
}
MATCH (t:Trace {tenant_id: $tenant, trace_id: $trace_id})
CALL () {
  UNWIND $plain AS row
  CREATE (e:Entry)
  SET e = row
}
CALL (t) {
  OPTIONAL MATCH (last:Record {tenant_id: $tenant, node_id: $last_step_id})
  CALL (t) {
    UNWIND $steps AS row
    CREATE (e:Entry:Record:Step)
    SET e = row.props
    CREATE (t)-[:HAS_STEP]->(e)
    FOREACH (alt IN row.alternatives |
      CREATE (e)-[:CONSIDERED]->(:Alternative {node_id: alt[0],
        tenant_id: row.props.tenant_id, trace_id: $trace_id, seq: row.props.seq,
        kind: 'alternative', step_id: row.props.node_id, index: alt[1], text: alt[2],
        selected: alt[3]}))
    RETURN collect(e) AS made
  }
  UNWIND range(0, size(made) - 1) AS i
  WITH CASE WHEN i = 0 THEN last ELSE made[i - 1] END AS a, made[i] AS b
  WHERE a IS NOT NULL
  CREATE (a)-[:NEXT]->(b)
}
CALL () {
  UNWIND $api_calls AS row
  CREATE (e:Entry:Record:ApiCall)
  SET e = row
}
CALL () {
  UNWIND $human_inputs AS row
  CREATE (e:Entry:Record:HumanInput)
  SET e = row
}
CALL () {
  UNWIND $depends_on AS row
  MATCH (a:Record {tenant_id: $tenant, node_id: row[0]})
  MATCH (b:Record {tenant_id: $tenant, node_id: row[1]})
  CREATE (a)-[:DEPENDS_ON]->(b), (b)-[:DEPENDED_ON_BY]->(a)
}
CALL () {
  UNWIND $child_of AS row
  MATCH (c:Trace {tenant_id: $tenant, trace_id: row[0]})
  MATCH (p:Trace {tenant_id: $tenant, trace_id: row[1]})
  CREATE (c)-[:CHILD_OF]->(p), (p)-[:PARENT_OF]->(c)
}
CALL () {
  UNWIND $spawned AS row
  MATCH (s:Record {tenant_id: $tenant, node_id: row[0]})
  MATCH (c:Trace {tenant_id: $tenant, trace_id: row[1]})
  CREATE (s)-[:SPAWNED]->(c)
}
CALL () {
  UNWIND $called AS row
  MATCH (s:Record {tenant_id: $tenant, node_id: row[0]})
  MATCH (c:Record {tenant_id: $tenant, node_id: row[1]})
  CREATE (s)-[:CALLED]->(c)
}
CALL () {
  UNWIND $asked AS row
  MATCH (s:Record {tenant_id: $tenant, node_id: row[0]})
  MATCH (h:Record {tenant_id: $tenant, node_id: row[1]})
  CREATE (s)-[:ASKED]->(h)
}
SET t.entry_count = $entry_count, t.step_count = $step_count, t.head_hash = $head_hash,
    t.last_step_id = $head_step_id, t.status = coalesce($status, t.status),
    t.open_questions = CASE WHEN $status IS NULL THEN t.open_questions ELSE $open_questions END
FOREACH (c IN CASE WHEN $completed IS NULL THEN [] ELSE [$completed] END |
  SET t.status = c.status, t.outcome = c.outcome, t.completed_at = c.completed_at,
      t.completed_seq = c.seq)
FOREACH (model_id IN $models |
  MERGE (m:Model {tenant_id: $tenant, model_id: model_id})
  MERGE (t)-[:USED_MODEL]->(m))
"""

# -- reads ----------------------------------------------------------------------------------
_TRACE_ROW = """
OPTIONAL MATCH (s:Entry {tenant_id: t.tenant_id, trace_id: t.trace_id, seq: 0})
OPTIONAL MATCH (c:Entry {tenant_id: t.tenant_id, trace_id: t.trace_id, seq: t.completed_seq})
RETURN t.trace_id AS trace_id, t.tenant_id AS tenant_id, t.status AS status,
       t.entry_count AS entry_count, t.head_hash AS head_hash,
       properties(s) AS started, properties(c) AS completed
"""
GET_TRACES: Final = """
UNWIND $trace_ids AS id
MATCH (t:Trace {tenant_id: $tenant, trace_id: id})
""" + _TRACE_ROW
#: One statement for every filter: a null parameter switches its filter off (as in the
#: embedded store's LIST_TRACES), one per direction and per index it starts from (START):
#: the session's traces, a parent's children, an agent's traces, or the tenant's by time
#: (a null-switched filter cannot pick an index by itself, and a scan of every trace would
#: not scale).
_LIST_TRACES = """
START
  AND ($session IS NULL OR t.session_id = $session)
  AND ($agent IS NULL OR t.agent_id = $agent)
  AND ($status IS NULL OR t.status = $status)
  AND ($outcome IS NULL OR t.outcome = $outcome)
  AND ($parent IS NULL OR t.parent_trace_id = $parent)
  AND (NOT $roots OR t.parent_trace_id IS NULL)
  AND ($after IS NULL OR t.created_at >= $after)
  AND ($before IS NULL OR t.created_at < $before)
  AND ($model IS NULL OR EXISTS { (t)-[:USED_MODEL]->(m:Model {model_id: $model}) })
  AND ($cur_time IS NULL OR t.created_at CMP $cur_time
       OR (t.created_at = $cur_time AND t.trace_id CMP $cur_id))
WITH t ORDER BY t.tenant_id ORDER_, t.created_at ORDER_, t.trace_id ORDER_ LIMIT $limit
""" + _TRACE_ROW + """
ORDER BY t.created_at ORDER_, t.trace_id ORDER_
"""
# (The tenant comes first in the ORDER BY although it is one value here: so ordered, the
# planner reads the (tenant_id, created_at) index in order and stops after a page, where
# ordered by time alone it read every trace of the tenant and sorted them, 37 ms a page at
# 20,000 traces. After a cursor, the seek starts at the cursor's time.)
_BY_TENANT = """MATCH (t:Trace) USING INDEX t:Trace(tenant_id, created_at)
WHERE t.tenant_id = $tenant AND t.created_at IS NOT NULL"""
_BY_TENANT_BEFORE = """MATCH (t:Trace) USING INDEX t:Trace(tenant_id, created_at)
WHERE t.tenant_id = $tenant AND t.created_at <= $cur_time"""
_BY_TENANT_SINCE = """MATCH (t:Trace) USING INDEX t:Trace(tenant_id, created_at)
WHERE t.tenant_id = $tenant AND t.created_at >= $cur_time"""
_BY_SESSION = """MATCH (t:Trace) WHERE t.tenant_id = $tenant AND t.session_id = $session"""
_BY_PARENT = """MATCH (t:Trace) WHERE t.tenant_id = $tenant AND t.parent_trace_id = $parent"""
_BY_AGENT = """MATCH (t:Trace) WHERE t.tenant_id = $tenant AND t.agent_id = $agent"""
_DESC = _LIST_TRACES.replace("CMP", "<").replace("ORDER_", "DESC")
_ASC = _LIST_TRACES.replace("CMP", ">").replace("ORDER_", "ASC")
#: Newest first, then trace id descending; the cursor is a lower bound.
LIST_TRACES: Final = _DESC.replace("START", _BY_TENANT)
LIST_TRACES_AFTER: Final = _DESC.replace("START", _BY_TENANT_BEFORE)
LIST_SESSION_TRACES: Final = _DESC.replace("START", _BY_SESSION)
LIST_CHILD_TRACES: Final = _DESC.replace("START", _BY_PARENT)
LIST_AGENT_TRACES: Final = _DESC.replace("START", _BY_AGENT)
#: Oldest first, then trace id ascending (backward paging); the cursor is an upper bound.
LIST_TRACES_ASC: Final = _ASC.replace("START", _BY_TENANT)
LIST_TRACES_ASC_AFTER: Final = _ASC.replace("START", _BY_TENANT_SINCE)
LIST_SESSION_TRACES_ASC: Final = _ASC.replace("START", _BY_SESSION)
LIST_CHILD_TRACES_ASC: Final = _ASC.replace("START", _BY_PARENT)
LIST_AGENT_TRACES_ASC: Final = _ASC.replace("START", _BY_AGENT)
#: Entries of each trace in stored seq order (``$kinds`` null: every kind), one row per
#: trace (a Bolt record per entry costs several times more). ``seq IS NOT NULL`` lets the
#: planner seek the ``(tenant_id, trace_id, seq)`` constraint's index by its prefix.
ENTRIES: Final = """
UNWIND $trace_ids AS id
CALL (id) {
  MATCH (e:Entry)
  WHERE e.tenant_id = $tenant AND e.trace_id = id AND e.seq IS NOT NULL
    AND ($kinds IS NULL OR e.kind IN $kinds)
  WITH e ORDER BY e.seq
  RETURN collect(properties(e)) AS entries
}
RETURN id AS trace_id, entries
"""
ENTRIES_AT: Final = """
UNWIND $refs AS ref
MATCH (e:Entry {tenant_id: $tenant, trace_id: ref[0], seq: ref[1]})
RETURN collect([ref[0], ref[1], properties(e)]) AS entries
"""
CHILDREN: Final = """
UNWIND $trace_ids AS id
MATCH (c:Trace {tenant_id: $tenant, parent_trace_id: id})
WITH id, c ORDER BY c.created_at, c.trace_id
RETURN collect([id, c.trace_id]) AS children
"""
#: The tenant's record (step, API call, human input, alternative) of each id first, else
#: its trace, as the embedded store resolves ids. Reads that may return many rows return
#: them as one collected list (a Bolt record per row costs several times more to send and
#: decode).
RESOLVE: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (r:Record {tenant_id: $tenant, node_id: id})
OPTIONAL MATCH (t:Trace {tenant_id: $tenant, trace_id: id})
OPTIONAL MATCH (:Record {tenant_id: $tenant, node_id: split(id, '#alt')[0]})
  -[:CONSIDERED]->(a:Alternative)
  WHERE id CONTAINS '#alt' AND a.node_id = id
WITH id, coalesce(r, a) AS r, t
RETURN collect([id, r IS NOT NULL, r.kind, r.trace_id, r.seq, t IS NOT NULL]) AS nodes
"""
_GRAPH_TYPES = "HAS_STEP|NEXT|DEPENDS_ON|CHILD_OF|SPAWNED|CALLED|CONSIDERED|ASKED"
#: The tenant's graph node(s) with id ``id``: a record (step, API call, human input), a
#: trace, or an alternative ``<step_id>#alt<i>``, found through its step (ids never contain
#: ``#``, and an index of alternatives would cost an index entry per alternative written).
#: No index spans the labels: one would cost an entry per node written.
_NODE = """CALL (id) {
  MATCH (n:Record {tenant_id: $tenant, node_id: id}) RETURN n
  UNION
  MATCH (n:Trace {tenant_id: $tenant, trace_id: id}) RETURN n
  UNION
  MATCH (:Record {tenant_id: $tenant, node_id: split(id, '#alt')[0]})
    -[:CONSIDERED]->(n:Alternative {node_id: id})
  WHERE id CONTAINS '#alt'
  RETURN n
}"""
EDGES_OUT: Final = f"""
UNWIND $ids AS id
{_NODE}
WITH id, n AS a WHERE a.tenant_id = $tenant
MATCH (a)-[r:{_GRAPH_TYPES}]->(b)
WHERE b.tenant_id = $tenant
RETURN id AS node, a.node_id AS src, b.node_id AS dst, type(r) AS type
ORDER BY dst, type
"""
EDGES_IN: Final = f"""
UNWIND $ids AS id
{_NODE}
WITH id, n AS b WHERE b.tenant_id = $tenant
MATCH (a)-[r:{_GRAPH_TYPES}]->(b)
WHERE a.tenant_id = $tenant
RETURN id AS node, a.node_id AS src, b.node_id AS dst, type(r) AS type
ORDER BY src, type
"""
#: Every tenant with a trace (operators' listing, e.g. retention over all tenants).
TENANTS: Final = """
MATCH (t:Trace) RETURN DISTINCT t.tenant_id AS tenant_id
UNION
MATCH (x:Tombstone) RETURN DISTINCT x.tenant_id AS tenant_id
"""
TOMBSTONES: Final = """
MATCH (x:Tombstone) WHERE x.tenant_id = $tenant AND x.session_id = $session
RETURN x.trace_id AS trace_id, x.tenant_id AS tenant_id, x.session_id AS session_id,
       x.entry_count AS entry_count, x.final_hash AS final_hash, x.removed_at AS removed_at,
       x.hash AS hash
ORDER BY x.removed_at
"""

# -- graph queries over the flow view (docs/graph-queries.md) --------------------------------
#: One hop of the flow view, cause -> effect, as a quantified relationship: HAS_STEP, NEXT,
#: SPAWNED, CALLED, CONSIDERED and ASKED forwards, and the mirrors DEPENDED_ON_BY and
#: PARENT_OF of DEPENDS_ON and CHILD_OF (stored beside them for this purpose: a path
#: pattern cannot follow some types forwards and others backwards, and an undirected hop
#: filtered by direction is not inlined into Neo4j's shortest-path search, which then
#: enumerates paths). Flow edges never join two tenants (the service resolves every
#: dependsOn, parent and spawning step within the caller's tenant).
_FLOW_HOP = "-[:HAS_STEP|NEXT|SPAWNED|CALLED|CONSIDERED|ASKED|DEPENDED_ON_BY|PARENT_OF]->"
#: Length of one shortest flow path (no row: no path within ``$bound`` edges): a
#: single-pair search (bidirectional breadth-first), which stays fast on any DAG.
SHORTEST_LENGTH: Final = f"""
WITH $from_id AS id
{_NODE}
WITH n AS s WHERE s.tenant_id = $tenant
WITH s, $to_id AS id
{_NODE}
WITH s, n AS t WHERE t.tenant_id = $tenant
MATCH p = ANY SHORTEST (s){_FLOW_HOP}+(t)
WHERE length(p) <= $bound
RETURN length(p) AS length
ORDER BY length
LIMIT 1
"""
#: Breadth-first search over the flow view, one layer per round trip (inside one read
#: transaction): the start node(s) by id, then the successors (or predecessors) of a layer,
#: by element id. Depths are exact by construction. (``ANY SHORTEST`` to every reachable
#: node would say the same in one statement, but Neo4j 5.26 traces the shortest paths of
#: every target to pick one and does not return on DAGs with many equally short paths: a
#: 700-step run with dependsOn every fifth step did not answer in minutes.)
FLOW_START: Final = f"""
WITH $node_id AS id
{_NODE}
WITH n WHERE n.tenant_id = $tenant
RETURN collect(elementId(n)) AS nodes
"""
FLOW_SUCCESSORS: Final = f"""
UNWIND $frontier AS eid
MATCH (n) WHERE elementId(n) = eid
MATCH (n){_FLOW_HOP}(m)
WHERE m.tenant_id = $tenant
RETURN collect(DISTINCT [elementId(m), m.node_id]) AS next
"""
FLOW_PREDECESSORS: Final = f"""
UNWIND $frontier AS eid
MATCH (n) WHERE elementId(n) = eid
MATCH (m){_FLOW_HOP}(n)
WHERE m.tenant_id = $tenant
RETURN collect(DISTINCT [elementId(m), m.node_id]) AS next
"""
#: Stored flow edges leaving the nodes ``$ids`` (the caller keeps those whose other end is
#: in ``$ids`` too: a set lookup in Python, where ``IN $ids`` would scan the list per edge).
EDGES_FROM: Final = f"""
UNWIND $ids AS id
{_NODE}
WITH n AS a WHERE a.tenant_id = $tenant
MATCH (a)-[r:{_GRAPH_TYPES}]->(b)
WHERE b.tenant_id = $tenant
RETURN collect([a.node_id, b.node_id, type(r)]) AS edges
"""

# -- retention ------------------------------------------------------------------------------
#: A trace id's tombstone hash, if the tenant holds one (an import restores tombstones).
TOMBSTONE_HASH: Final = """
MATCH (x:Tombstone {tenant_id: $tenant, trace_id: $trace_id}) RETURN x.hash AS hash
"""
CREATE_TOMBSTONE: Final = """
CREATE (x:Tombstone {trace_id: $trace_id, tenant_id: $tenant, session_id: $session_id,
  entry_count: $entry_count, final_hash: $final_hash, removed_at: $removed_at, hash: $hash})
"""
#: Alternatives, then entries (with their step, API call and human input nodes) of a
#: trace, with every relationship touching them; then the trace node.
DELETE_TRACE_ALTERNATIVES: Final = """
MATCH (e:Entry)-[:CONSIDERED]->(a:Alternative)
WHERE e.tenant_id = $tenant AND e.trace_id = $trace_id AND e.seq IS NOT NULL
DETACH DELETE a
"""
DELETE_TRACE_ENTRIES: Final = """
MATCH (e:Entry)
WHERE e.tenant_id = $tenant AND e.trace_id = $trace_id AND e.seq IS NOT NULL
DETACH DELETE e
"""
DELETE_TRACE: Final = """
MATCH (t:Trace {tenant_id: $tenant, trace_id: $trace_id})
DETACH DELETE t
"""

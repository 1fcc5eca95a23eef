"""Derived rows recomputed from the hashed records and compared with what the store answers.

Queries answer from index rows a backend keeps beside the chain (a trace's status and
session, its parent, the graph edges): rows that no hash covers. Step 5 of verification
recomputes each from the trace's hashed entries (the start record's session and parent, the
completion record's status, the edges :func:`tracegraph.graph.edges.edges_for` derives) and
reads the store the way queries do (listing by session, children, edges), so a row changed
behind the store's back is named (``derived_row``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tracegraph.graph.edges import edges_for
from tracegraph.graph.protocol import Edge, GraphStore
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.log_audit import DERIVED_ROW, TraceAudit
from tracegraph.schema.records import open_questions_after, questions_status

from .paging import every_trace_row
from .views import TraceQuery

#: The edge types chain records imply (the others, IN_SESSION, BY_AGENT and USED_MODEL,
#: index the start record's fields and are not part of the flow view).
RECORD_EDGE_TYPES = frozenset({"HAS_STEP", "NEXT", "DEPENDS_ON", "CHILD_OF", "SPAWNED",
                               "CALLED", "CONSIDERED", "ASKED"})
#: Entries whose nodes' edges are read in one store call.
EDGE_CHUNK = 20_000
_ID_KEYS = {EntryKind.STEP.value: "step_id", EntryKind.API_CALL.value: "call_id",
            EntryKind.HUMAN_INPUT.value: "input_id"}


def expected_status(entries: Sequence[ChainEntry]) -> str:
    """A trace's status from its records, by the append plan's rule: its completion
    record's; else paused while one of its questions waits for an answer
    (:func:`~tracegraph.schema.records.open_questions_after`); else active."""
    done = next((e for e in entries if e.kind == EntryKind.TRACE_COMPLETED), None)
    if done is not None:
        return str(done.record.get("status"))
    asked = [e.record for e in entries if e.kind == EntryKind.HUMAN_INPUT]
    return questions_status(open_questions_after((), asked))


def expected_edges(entries: Sequence[ChainEntry]) -> list[Edge]:
    """Every edge the trace's records imply, in record order."""
    out: list[Edge] = []
    last_step: str | None = None
    for e in entries:
        out.extend(edges_for(e, last_step))
        if e.kind == EntryKind.STEP:
            last_step = str(e.record["step_id"])
    return out


def record_node_ids(trace_id: str, entries: Sequence[ChainEntry]) -> list[str]:
    """The trace's own node ids: the trace and every step, API call and human input."""
    ids = [trace_id]
    for e in entries:
        key = _ID_KEYS.get(e.kind)
        if key is not None and key in e.record:
            ids.append(str(e.record[key]))
    return ids


def check_derived(store: GraphStore, tenant_id: str, audits: Mapping[str, TraceAudit],
                  entries: Mapping[str, list[ChainEntry]],
                  count_logged: Callable[[list[str]], Mapping[str, int]]) -> None:
    """Compare each audited trace's derived rows with its records; adds ``derived_row``
    problems to the audits. Traces whose chain is already broken, or removed, are skipped
    (their records are not trustworthy or not there).

    The store is read after ``entries`` were: edges and listings first, the trace rows
    last. A trace whose row then counts more entries than were read, and whose log does too
    (``count_logged``: its entry leaves, read after the rows), was appended to while it was
    verified: its derived rows are left to the next verification instead of being reported
    against an older snapshot of its records."""
    pending = [t for t, a in audits.items()
               if not a.removed and not a.problems and entries.get(t)]
    found: dict[str, list[str]] = {t: [] for t in pending}
    sessions: dict[str, list[str]] = {}
    parents: dict[str, list[str]] = {}
    for trace_id in pending:
        es = entries[trace_id]
        started = es[0].record if es[0].kind == EntryKind.TRACE_STARTED else {}
        if "session_id" in started:
            sessions.setdefault(str(started["session_id"]), []).append(trace_id)
        if "parent_trace_id" in started:
            parents.setdefault(str(started["parent_trace_id"]), []).append(trace_id)
    for trace_id in _not_listed_under(store, tenant_id, parents):
        parent = entries[trace_id][0].record["parent_trace_id"]
        found[trace_id].append(f"derived row disagrees: the store does not list the trace "
                               f"under its parent {parent} (parent row changed)")
    for chunk in _chunks(pending, entries):
        for trace_id, problems in _edge_problems(store, tenant_id, chunk, entries).items():
            found[trace_id] += problems
    for session_id, trace_ids in sessions.items():
        listed = {r.trace_id for r in every_trace_row(store, tenant_id,
                                                      TraceQuery(session_id=session_id))}
        for trace_id in trace_ids:
            if trace_id not in listed:
                found[trace_id].append("derived row disagrees: the store does not list the "
                                       f"trace in its session {session_id} (session row "
                                       "changed)")
    rows = store.get_traces(tenant_id, pending) if pending else {}
    grown = [t for t in pending if (r := rows.get(t)) and r.entry_count > len(entries[t])]
    logged = count_logged(grown) if grown else {}
    for trace_id in pending:
        audit, es, row = audits[trace_id], entries[trace_id], rows.get(trace_id)
        if row is None:
            audit.add(DERIVED_ROW, "the store has its entries but no trace row (the trace "
                      "index row was deleted)")
            continue
        if row.entry_count > len(es) and logged.get(trace_id, 0) > len(es):
            continue  # appended while it was verified
        if row.entry_count != len(es) or row.head_hash != es[-1].hash:
            audit.add(DERIVED_ROW, f"derived row disagrees: the trace row records "
                      f"{row.entry_count} entries ending at {row.head_hash[:12]}…, the chain "
                      f"has {len(es)} ending at {es[-1].hash[:12]}…")
        status = expected_status(es)
        if row.status != status:
            audit.add(DERIVED_ROW, f"derived row disagrees: status is {row.status!r}, the "
                      f"hashed records say {status!r}")
        for message in found[trace_id]:
            audit.add(DERIVED_ROW, message)


def _not_listed_under(store: GraphStore, tenant_id: str, parents: Mapping[str, list[str]]
                      ) -> list[str]:
    """The traces (of ``parents``: parent id -> the traces whose start record names it) that
    one of the store's answers does not name as that parent's child: its children (one read
    for every parent) and its listing filtered by parent (one per parent)."""
    if not parents:
        return []
    children = store.children(tenant_id, list(parents))
    out = []
    for parent, trace_ids in parents.items():
        listed = {r.trace_id for r in every_trace_row(store, tenant_id,
                                                      TraceQuery(parent_trace_id=parent))}
        kids = set(children.get(parent, []))
        out += [t for t in trace_ids if t not in kids or t not in listed]
    return out


def _chunks(trace_ids: Sequence[str], entries: Mapping[str, list[ChainEntry]]
            ) -> list[list[str]]:
    """The traces in runs of about :data:`EDGE_CHUNK` entries (one trace alone when longer),
    so one edge read never names an unbounded number of nodes."""
    out: list[list[str]] = []
    size = 0
    for t in trace_ids:
        if not out or (out[-1] and size + len(entries[t]) > EDGE_CHUNK):
            out.append([])
            size = 0
        out[-1].append(t)
        size += len(entries[t])
    return out


def _edge_problems(store: GraphStore, tenant_id: str, trace_ids: Sequence[str],
                   entries: Mapping[str, list[ChainEntry]]) -> dict[str, list[str]]:
    """Each trace's stored edges against those its records imply: the edges leaving its
    own nodes, and the SPAWNED edge reaching it. Two store reads for all the traces (the
    round trips do not grow with the batch)."""
    ids = {t: record_node_ids(t, entries[t]) for t in trace_ids}
    out_edges = store.edges(tenant_id, [n for t in trace_ids for n in ids[t]], "out")
    in_edges = store.edges(tenant_id, list(trace_ids), "in")
    problems: dict[str, list[str]] = {}
    for trace_id in trace_ids:
        got: set[Edge] = set()
        for node in ids[trace_id]:
            got.update(e for e in out_edges.get(node, ())
                       if e.type in RECORD_EDGE_TYPES and e.type != "SPAWNED")
        got.update(e for e in in_edges.get(trace_id, []) if e.type == "SPAWNED")
        own = set(ids[trace_id])
        want = {e for e in expected_edges(entries[trace_id])
                if e.type == "SPAWNED" or e.src in own}
        out = problems[trace_id] = []
        extra = sorted(got - want)
        missing = sorted(want - got)
        if extra:
            e = extra[0]
            out.append(f"derived row disagrees: edge {e.src} -{e.type}-> {e.dst} is stored "
                       "but no hashed record holds it")
        if missing:
            e = missing[0]
            out.append(f"derived row disagrees: edge {e.src} -{e.type}-> {e.dst} of the "
                       "hashed records is not stored")
    return problems

"""Graph edges implied by a chain entry; every backend derives the same edges."""

from __future__ import annotations

from tracegraph.graph.algorithms.branches import alternative_id
from tracegraph.graph.protocol import Edge
from tracegraph.schema.chain import ChainEntry
from tracegraph.schema.enums import EntryKind


def edges_for(e: ChainEntry, last_step_id: str | None) -> list[Edge]:
    """Edges that entry ``e`` adds; ``last_step_id`` is the trace's previous step (for NEXT).

    >>> from tracegraph.schema.chain import seal
    >>> e = seal("t", "tr", 1, "0" * 64, "step", {"step_id": "s2", "depends_on": ["s0"]})
    >>> [(x.src, x.dst, x.type) for x in edges_for(e, "s1")]
    [('tr', 's2', 'HAS_STEP'), ('s1', 's2', 'NEXT'), ('s2', 's0', 'DEPENDS_ON')]
    """
    r = e.record
    out: list[Edge] = []
    if e.kind == EntryKind.TRACE_STARTED:
        if "parent_trace_id" in r:
            out.append(Edge(e.trace_id, r["parent_trace_id"], "CHILD_OF"))
        if "spawned_by_step_id" in r:
            out.append(Edge(r["spawned_by_step_id"], e.trace_id, "SPAWNED"))
    elif e.kind == EntryKind.STEP:
        step_id = r["step_id"]
        out.append(Edge(e.trace_id, step_id, "HAS_STEP"))
        if last_step_id is not None:
            out.append(Edge(last_step_id, step_id, "NEXT"))
        out.extend(Edge(step_id, dep, "DEPENDS_ON") for dep in r.get("depends_on", ()))
        out.extend(
            Edge(step_id, alternative_id(step_id, i), "CONSIDERED")
            for i, _ in enumerate(r.get("alternatives_considered", ()))
        )
    elif e.kind == EntryKind.API_CALL and "step_id" in r:
        out.append(Edge(r["step_id"], r["call_id"], "CALLED"))
    elif e.kind == EntryKind.HUMAN_INPUT and "step_id" in r:
        out.append(Edge(r["step_id"], r["input_id"], "ASKED"))
    return out

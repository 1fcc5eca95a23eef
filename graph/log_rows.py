"""The tenant log's leaves as the server backends store them: *runs* (one row per append and
trace, and back), and which tree nodes they store (levels from :data:`LOWEST_STORED_LEVEL`
up; the ones below are rebuilt from leaf rows).

Consecutive entry leaves of one append to one trace (consecutive seqs) make one run: its
first leaf index, count, session, trace, first seq, the entries' kinds and their record
hashes; a tombstone leaf is a run of one. An append of 500 steps writes one run instead of
500 leaf rows (the embedded store's ``log_runs`` layout). A run keeps what rebuilds each
leaf record (never a leaf hash, which is the level-0 tree node), so the log still names a
trace and seq after retention deleted the entry. Neo4j keeps a run as the properties of a
``(:LogRun)`` node, Dgraph as one JSON ``run.row``: both with the columns of
:meth:`LeafRun.columns`. See docs/dev/merkle-integration.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tracegraph.schema.merkle import HASH_SIZE, tree_hash
from tracegraph.schema.merkle_leaf import EntryLeaf, TombstoneLeaf
from tracegraph.schema.merkle_tree import MissingNode, NodeId

from .log_plan import LeafRow
from .protocol import StoredLeaf

#: ``leaf_kind`` of an entry run and of a tombstone run (as the embedded store writes).
ENTRY = "e"
TOMBSTONE = "t"
_HEX = 2 * HASH_SIZE

#: Every column of a run, in the order :meth:`LeafRun.columns` lists them.
COLUMNS = ("first_index", "count", "leaf_kind", "session_id", "trace_id", "first_seq",
           "kinds", "hashes", "entry_count", "final_hash", "removed_at")


@dataclass(frozen=True, slots=True)
class LeafRun:
    """Consecutive leaves of one trace: entries of one append, or one tombstone.

    ``kinds`` are the entries' kinds joined by commas and ``hashes`` their record hashes
    (hex, 64 characters each); a tombstone run keeps its tombstone's hash in ``hashes``.
    """

    first_index: int
    count: int
    leaf_kind: str
    session_id: str
    trace_id: str
    hashes: str
    first_seq: int | None = None
    kinds: str | None = None
    entry_count: int | None = None
    final_hash: str | None = None
    removed_at: str | None = None

    @property
    def first_leaf(self) -> bool:
        """A trace's first run (seq 0) or a tombstone: what lists a session's traces."""
        return self.leaf_kind == TOMBSTONE or self.first_seq == 0

    def columns(self) -> dict[str, Any]:
        """The stored columns (``None`` ones left out)."""
        return {c: v for c in COLUMNS if (v := getattr(self, c)) is not None}

    def leaves(self, tenant_id: str) -> list[StoredLeaf]:
        """Its leaves, in index order; ``ValueError`` names a run whose parts disagree."""
        where = f"log run of tenant {tenant_id!r} at leaf {self.first_index}"
        if len(self.hashes) != _HEX * self.count:
            raise ValueError(f"{where}: {self.count} leaves but {len(self.hashes)} hex digits "
                             "of hashes")
        if self.leaf_kind == TOMBSTONE:
            if self.count != 1 or None in (self.entry_count, self.final_hash, self.removed_at):
                raise ValueError(f"{where}: not one whole tombstone leaf")
            return [StoredLeaf(self.first_index, TombstoneLeaf(
                tenant_id, self.session_id, self.trace_id, int(self.entry_count or 0),
                str(self.final_hash), str(self.removed_at), self.hashes))]
        kinds = (self.kinds or "").split(",")
        if self.leaf_kind != ENTRY or self.first_seq is None or len(kinds) != self.count:
            raise ValueError(f"{where}: not {self.count} entry leaves")
        return [StoredLeaf(self.first_index + k, EntryLeaf(
            tenant_id, self.session_id, self.trace_id, self.first_seq + k, kind,
            self.hashes[_HEX * k:_HEX * (k + 1)])) for k, kind in enumerate(kinds)]


def leaf_runs(rows: Sequence[LeafRow]) -> list[LeafRun]:
    """The runs of an append's leaf rows (:func:`~tracegraph.graph.log_plan.plan_log_append`):
    consecutive entry leaves of one trace and session with consecutive seqs make one run;
    each tombstone leaf is one.

    >>> from tracegraph.graph.log_plan import LogHead, plan_log_append
    >>> leaves = [EntryLeaf("t", "s", "tr", q, "step", f"{q:064x}") for q in (3, 4)]
    >>> [(r.first_index, r.count, r.first_seq, r.kinds)
    ...  for r in leaf_runs(plan_log_append(LogHead(), leaves).leaves)]
    [(0, 2, 3, 'step,step')]
    """
    out: list[LeafRun] = []
    i = 0
    while i < len(rows):
        first = rows[i].leaf
        if isinstance(first, TombstoneLeaf):
            out.append(LeafRun(rows[i].leaf_index, 1, TOMBSTONE, first.session_id,
                               first.trace_id, first.tombstone_hash,
                               entry_count=first.entry_count, final_hash=first.final_hash,
                               removed_at=first.removed_at))
            i += 1
            continue
        run: list[EntryLeaf] = [first]
        for r in rows[i + 1:]:
            leaf = r.leaf
            if not (isinstance(leaf, EntryLeaf) and leaf.trace_id == first.trace_id
                    and leaf.session_id == first.session_id
                    and leaf.seq == first.seq + len(run)):
                break
            run.append(leaf)
        out.append(LeafRun(rows[i].leaf_index, len(run), ENTRY, first.session_id,
                           first.trace_id, "".join(e.entry_hash for e in run),
                           first_seq=first.seq, kinds=",".join(str(e.kind) for e in run)))
        i += len(run)
    return out


def run_from_columns(tenant_id: str, row: Mapping[str, Any]) -> LeafRun:
    """The run a stored row holds; ``ValueError`` names a row that is not one."""
    def get(column: str, kind: type[Any]) -> Any:
        value = row.get(column)
        if value is not None and not isinstance(value, kind):
            raise ValueError(f"log run of tenant {tenant_id!r} at leaf "
                             f"{row.get('first_index')}: {column} is {value!r}")
        return value

    first, count = get("first_index", int), get("count", int)
    kind, session, trace = get("leaf_kind", str), get("session_id", str), get("trace_id", str)
    hashes = get("hashes", str)
    if None in (first, count, kind, session, trace, hashes):
        raise ValueError(f"log run of tenant {tenant_id!r} at leaf {first}: a column is "
                         "missing")
    return LeafRun(first, count, kind, session, trace, hashes, get("first_seq", int),
                   get("kinds", str), get("entry_count", int), get("final_hash", str),
                   get("removed_at", str))


def leaves_in(tenant_id: str, runs: Sequence[LeafRun], start: int, stop: int
              ) -> list[StoredLeaf]:
    """The leaves of ``runs`` with ``start <= leaf_index < stop``, in index order."""
    got = [x for r in runs for x in r.leaves(tenant_id) if start <= x.leaf_index < stop]
    return sorted(got, key=lambda x: x.leaf_index)


# -- which tree nodes a server backend stores ------------------------------------------------
#: The lowest tree level kept as node rows: a node below it (a perfect subtree of fewer than
#: 16 leaves) is rebuilt from its leaf rows when a proof asks for it (at most 15 leaf hashes
#: a level), so an append writes one node per 16 leaves instead of about two per leaf (the
#: embedded store's choice too).
LOWEST_STORED_LEVEL = 4


def nodes_to_store(nodes: Sequence[tuple[NodeId, bytes]]) -> list[tuple[NodeId, bytes]]:
    """The nodes of :func:`~tracegraph.graph.log_plan.plan_log_append` a backend writes."""
    return [(node, h) for node, h in nodes if node[0] >= LOWEST_STORED_LEVEL]


def split_node_ids(ids: Sequence[NodeId]) -> tuple[list[NodeId], list[int]]:
    """The stored nodes among ``ids`` (each once) and the leaf indexes that rebuild the
    others.

    >>> split_node_ids([(5, 0), (0, 3), (2, 1), (5, 0)])
    ([(5, 0)], [3, 4, 5, 6, 7])
    """
    upper = [i for i in dict.fromkeys(ids) if i[0] >= LOWEST_STORED_LEVEL]
    leaves = sorted({i for level, idx in ids if level < LOWEST_STORED_LEVEL
                     for i in range(idx << level, (idx + 1) << level)})
    return upper, leaves


def rebuilt_nodes(ids: Sequence[NodeId], leaf_hashes: Mapping[int, bytes]
                  ) -> dict[NodeId, bytes]:
    """The nodes below :data:`LOWEST_STORED_LEVEL` among ``ids`` whose every leaf hash is
    in ``leaf_hashes`` (a missing leaf leaves its node out: the caller names it missing)."""
    out: dict[NodeId, bytes] = {}
    for level, idx in ids:
        if level >= LOWEST_STORED_LEVEL or (level, idx) in out:
            continue
        span = [leaf_hashes.get(i) for i in range(idx << level, (idx + 1) << level)]
        if all(h is not None for h in span):
            out[level, idx] = tree_hash([h for h in span if h is not None])
    return out


def node_hashes(tenant_id: str, ids: Sequence[NodeId], found: Mapping[NodeId, bytes]
                ) -> list[bytes]:
    """The hashes of ``ids`` in order from ``found``; ``MissingNode`` names the first
    absent one."""
    for level, idx in ids:
        if (level, idx) not in found:
            raise MissingNode(f"log node of tenant {tenant_id!r} at level {level}, "
                              f"index {idx} is not stored")
    return [found[i] for i in ids]


def leaf_spans(indexes: Sequence[int], gap: int = 64) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges covering sorted leaf ``indexes``, a new one after a gap of
    more than ``gap`` (what one range read of runs fetches).

    >>> leaf_spans([3, 4, 5, 6, 7, 500, 501])
    [(3, 8), (500, 502)]
    """
    spans: list[tuple[int, int]] = []
    for i in indexes:
        if spans and i - spans[-1][1] <= gap:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans

"""Checking one trace's stored records against its leaves in the tenant's Merkle log.

Pure: the service reads the trace's leaf rows, entries and tombstone and calls
:func:`audit_trace`, which applies steps 2 to 4 of docs/hash-chain.md "Verification against a
signed checkpoint": every leaf has its record (or a covering tombstone), every record has its
leaf, the chain verifies, completion is terminal, and the trace's leaves name the session its
start record names. It returns the problems found and the recomputed leaf hashes that step 1
(inclusion in the signed tree) must still prove. The leaf rows are not trusted: each leaf is
rebuilt from the entry row it names, so an entry changed and re-hashed behind the store's
back gives a leaf the signed tree does not hold.

>>> from tracegraph.schema.chain import GENESIS_PREV_HASH, seal
>>> e = seal("t", "tr", 0, GENESIS_PREV_HASH, "trace_started", {"session_id": "s"})
>>> leaf = EntryLeaf("t", "s", "tr", 0, "trace_started", e.hash)
>>> audit_trace("t", "tr", [(0, leaf)], [e], None, checkpoint_size=1).problems
[]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .chain import ChainEntry, verify_entries
from .enums import EntryKind
from .merkle_leaf import EntryLeaf, LogLeaf, TombstoneLeaf

#: Problem codes (stable: GraphQL, the CLI's JSON and docs/hash-chain.md name them).
ROOT_MISMATCH = "root_mismatch"
NOT_IN_SIGNED_TREE = "not_in_signed_tree"
CONTENT_CHANGED = "content_changed"
ENTRY_MISSING = "entry_missing"
MISSING_TRACE = "missing_trace"
ENTRY_INSERTED = "entry_inserted"
FORGED_TOMBSTONE = "forged_tombstone"
TOMBSTONE_MISMATCH = "tombstone_mismatch"
ENTRY_AFTER_COMPLETION = "entry_after_completion"
LEAF_ORDER = "leaf_order"
CHAIN_BROKEN = "chain_broken"
DERIVED_ROW = "derived_row"


@dataclass(frozen=True, slots=True)
class LogProblem:
    """One thing that does not hold, with where: trace, seq and leaf index when known."""

    code: str
    message: str
    trace_id: str | None = None
    seq: int | None = None
    leaf_index: int | None = None


@dataclass
class TraceAudit:
    """What :func:`audit_trace` found for one trace."""

    trace_id: str
    problems: list[LogProblem] = field(default_factory=list)
    #: ``(leaf index, leaf hash rebuilt from the entry row, seq)`` of the intact entries
    #: whose leaf is inside the checkpoint: step 1 proves each is in the signed tree.
    to_prove: list[tuple[int, bytes, int]] = field(default_factory=list)
    entries_checked: int = 0
    not_checkpointed: int = 0
    removed: bool = False
    head_hash: str | None = None

    def add(self, code: str, message: str, seq: int | None = None,
            leaf_index: int | None = None) -> None:
        self.problems.append(LogProblem(code, f"trace {self.trace_id}: {message}",
                                        self.trace_id, seq, leaf_index))


def _covering(stones: Sequence[tuple[int, TombstoneLeaf]],
              entry_leaves: Sequence[tuple[int, EntryLeaf]]) -> tuple[int, TombstoneLeaf] | None:
    """The tombstone leaf that covers every entry leaf of the trace (count and final hash)."""
    last = max(entry_leaves, key=lambda x: x[1].seq)[1].entry_hash if entry_leaves else None
    for index, stone in stones:
        if stone.entry_count == len(entry_leaves) and (last is None
                                                       or stone.final_hash == last):
            return index, stone
    return None


def audit_trace(tenant_id: str, trace_id: str, leaves: Sequence[tuple[int, LogLeaf]],
                entries: Sequence[ChainEntry], tombstone: TombstoneLeaf | None,
                checkpoint_size: int, *, logged_before: int | None = None) -> TraceAudit:
    """Steps 2-4 for one trace: its leaves (index, leaf row), its stored entries in stored
    order, its stored tombstone row (if any), and the size of the trusted checkpoint (0 when
    there is none: every leaf is then "not yet checkpointed", checked against its record
    only).

    Read the entries after the log's size (``logged_before``) and the leaves after the
    entries: an entry appended meanwhile then has its leaf (no false ``entry_inserted``),
    and a leaf at or after ``logged_before`` whose entry was not read yet is not missing."""
    audit = TraceAudit(trace_id)
    entry_leaves = sorted(((i, leaf) for i, leaf in leaves if isinstance(leaf, EntryLeaf)),
                          key=lambda x: x[1].seq)
    stones = [(i, leaf) for i, leaf in leaves if isinstance(leaf, TombstoneLeaf)]
    by_seq = {e.seq: e for e in entries}
    leaf_seqs = {leaf.seq for _, leaf in entry_leaves}
    covered = _covering(stones, entry_leaves)
    for index, stone in stones:
        if not stone.hash_matches():
            audit.add(TOMBSTONE_MISMATCH, f"tombstone leaf {index}: its hash does not match "
                      "its fields", leaf_index=index)
    if stones and covered is None:
        index, stone = stones[0]
        audit.add(TOMBSTONE_MISMATCH, f"tombstone leaf {index} claims {stone.entry_count} "
                  f"entries, the log holds {len(entry_leaves)} for the trace",
                  leaf_index=index)
    audit.removed = covered is not None
    # step 2: every leaf has its record
    missing: list[tuple[int, EntryLeaf]] = []
    prev_index = -1
    for index, leaf in entry_leaves:
        if index < prev_index:
            audit.add(LEAF_ORDER, f"entry {leaf.seq} is logged at leaf {index}, before the "
                      f"entry logged at leaf {prev_index}", leaf.seq, index)
        prev_index = max(prev_index, index)
        e = by_seq.get(leaf.seq)
        if e is None:
            if logged_before is not None and index >= logged_before:
                continue  # appended after the entries were read
            if covered is None or covered[0] < index:
                missing.append((index, leaf))
            continue
        if e.hash != leaf.entry_hash or e.kind != leaf.kind:
            audit.add(CONTENT_CHANGED, f"entry {leaf.seq} is not the entry logged at leaf "
                      f"{index} (its hash or kind differs: the entry was changed and "
                      "re-hashed)", leaf.seq, index)
        elif index < checkpoint_size:
            audit.to_prove.append((index, EntryLeaf(tenant_id, leaf.session_id, trace_id,
                                                    e.seq, e.kind, e.hash).hash(), e.seq))
        else:
            audit.not_checkpointed += 1
    if missing and not entries:
        index, leaf = missing[0]
        audit.add(MISSING_TRACE, f"the log holds {len(entry_leaves)} entries of the trace "
                  f"(first at leaf {index}) but the store holds none and no signed tombstone "
                  "covers them: the trace was deleted", leaf.seq, index)
    elif missing:
        index, leaf = missing[0]
        audit.add(ENTRY_MISSING, f"entry {leaf.seq} (leaf {index}) is logged but not stored"
                  + (f" ({len(missing)} entries missing)" if len(missing) > 1 else ""),
                  leaf.seq, index)
    # step 3: every record has its leaf
    for e in entries:
        if e.seq not in leaf_seqs:
            audit.add(ENTRY_INSERTED, f"entry {e.seq} is stored but the log has no leaf for "
                      "it (inserted behind the store's back)", e.seq)
    if tombstone is not None and not any(stone == tombstone for _, stone in stones):
        audit.add(FORGED_TOMBSTONE, "its stored tombstone has no leaf in the log (written "
                  "behind the store's back)")
    # step 4: the chain, and completion is terminal
    if entries:
        v = verify_entries(entries, tenant_id=tenant_id, trace_id=trace_id)
        audit.entries_checked = v.entries_checked
        audit.head_hash = v.head_hash
        if not v.valid:
            audit.add(CHAIN_BROKEN, f"{v.reason} at seq {v.first_broken_seq}",
                      v.first_broken_seq)
        done = [e.seq for e in entries if e.kind == EntryKind.TRACE_COMPLETED]
        after = [e.seq for e in entries if done and e.seq > done[0]]
        if after:
            audit.add(ENTRY_AFTER_COMPLETION, f"entry {after[0]} follows the completion "
                      f"entry {done[0]}: completion is terminal", after[0])
        started = next((e for e in entries if e.kind == EntryKind.TRACE_STARTED), None)
        session = started.record.get("session_id") if started is not None else None
        for index, leaf in entry_leaves:
            if session is not None and leaf.session_id != session:
                audit.add(DERIVED_ROW, f"leaf {index} names session {leaf.session_id!r}, the "
                          f"trace's start record session {session!r}", leaf.seq, index)
                break
    audit.problems.sort(key=_first)
    return audit


#: Which problem names a trace's break when several are found: a forged tombstone and an
#: entry after completion explain the others they cause; then by seq.
_RANK = {FORGED_TOMBSTONE: 0, ENTRY_AFTER_COMPLETION: 1}


def _first(p: LogProblem) -> tuple[int, bool, int]:
    return _RANK.get(p.code, 2), p.seq is None, p.seq or 0

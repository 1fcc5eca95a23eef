"""The append contract, written once: what one append stores, decided from what a backend read.

Every backend runs an append the same way, inside one transaction of its own: it reads the
trace's chain head (:class:`StoredHead`, or ``None`` for a trace that does not exist),
whether a tombstone holds the trace id, and where the batch's record ids are already
stored (:class:`StoredId`), each looked up by the appending tenant and the id: ids are per
tenant, so another tenant's rows are never read and an id it uses is simply free here;
:func:`plan_append` then applies the rules of
``GraphStore.append`` (graph/protocol.py) and returns either

* a :class:`Replay`: an idempotent retry, whose answer is the entries already stored at
  :attr:`Replay.seqs` (the backend reads them and hands them to :meth:`Replay.entries`), or
* a :class:`SealedAppend`: the sealed entries with their canonical bytes, the record node
  each one makes (with a step's alternatives), the edges :func:`~tracegraph.graph.edges.
  edges_for` derives, the trace index changes (start, completion, models) and the new head,
  which the backend writes as they are.

The rules, in the order they are checked (each error with the message the backends share):

1. no trace: ``TraceNotFound`` unless the batch starts it; ``AlreadyExists`` when retention
   removed a trace of that id;
2. a start of a stored trace: a replay of its first entry when the batch is that one start
   with the same record (:meth:`Replay.entries` compares), else ``AlreadyExists``;
3. a completed trace: ``TraceClosed``;
4. ``expected_seq`` other than the next seq: ``ChainConflict``;
5. record ids: when every item's id is stored in this trace, a replay of those entries;
   when the first ones are and a later one is not, ``AlreadyExists`` (half a retry); an id
   stored elsewhere in the tenant, or twice in the batch, ``AlreadyExists`` (taken);
6. otherwise the items are numbered (``seq`` from the head's entry count, ``step_index``
   from its step count) and sealed after the head hash.

>>> from tracegraph.schema.chain import GENESIS_PREV_HASH
>>> start = ("trace_started", {"session_id": "s", "created_at": "2026-01-01T00:00:00Z"})
>>> plan = plan_append("t", "tr", [start, ("step", {"step_id": "a"})], None,
...                    head=None, tombstoned=False, stored={})
>>> [(p.entry.seq, p.node_id) for p in plan.entries], plan.step_count
([(0, None), (1, 'a')], 1)
>>> [(e.src, e.dst, e.type) for e in plan.edges()]
[('tr', 'a', 'HAS_STEP')]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tracegraph.graph.algorithms.branches import Alternative, alternatives_of
from tracegraph.graph.edges import edges_for
from tracegraph.graph.protocol import Edge
from tracegraph.schema.chain import GENESIS_PREV_HASH, ChainEntry, seal_encoded
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.errors import AlreadyExists, ChainConflict, TraceClosed, TraceNotFound
from tracegraph.schema.records import open_questions_after, questions_status

#: The field holding the id of each kind of record that is a graph node.
RECORD_ID_FIELD: dict[str, str] = {
    EntryKind.STEP.value: "step_id",
    EntryKind.API_CALL.value: "call_id",
    EntryKind.HUMAN_INPUT.value: "input_id",
}
_STEP = EntryKind.STEP.value
_STARTED = EntryKind.TRACE_STARTED.value
_COMPLETED = EntryKind.TRACE_COMPLETED.value
_HUMAN = EntryKind.HUMAN_INPUT.value

Items = Sequence[tuple[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class StoredHead:
    """The appending tenant's trace's chain head as a backend read it, inside its append
    transaction."""

    entry_count: int
    step_count: int
    head_hash: str
    last_step_id: str | None
    completed: bool
    #: The input ids of the trace's questions waiting for an answer, oldest first (what
    #: the last append that had human inputs stored: :attr:`SealedAppend.open_questions`).
    open_questions: tuple[str, ...] = ()


class StoredId(NamedTuple):
    """Where a record id of the batch is already stored in the appending tenant: its trace
    and stored seq (``None`` for parts the backend could not read: such an id is taken,
    never replayed)."""

    trace_id: str | None
    seq: int | None


@dataclass(frozen=True, slots=True)
class Replay:
    """An idempotent retry: the answer is the entries stored at ``seqs``, in batch order."""

    trace_id: str
    tenant_id: str
    seqs: tuple[int, ...]
    #: For a retried trace start: the record the stored first entry must have.
    start_record: dict[str, Any] | None = None

    def entries(self, stored: Mapping[int, ChainEntry]) -> list[ChainEntry]:
        """The replayed entries from the stored ones the backend read (by stored seq).

        Raises ``AlreadyExists`` when a retried start is not the stored one.
        """
        if self.start_record is not None:
            first = stored.get(0)
            if (first is None or first.tenant_id != self.tenant_id
                    or first.record != self.start_record):
                raise AlreadyExists(f"trace {self.trace_id} already exists")
            return [first]
        return [stored[seq] for seq in self.seqs]


class PlannedEntry(NamedTuple):
    """One sealed entry with what it adds to the graph."""

    entry: ChainEntry
    #: The canonical bytes that were hashed (a store may keep them as the entry's body).
    body: bytes
    #: The record's id when it is a graph node (a step, API call or human input).
    node_id: str | None
    #: The edges :func:`~tracegraph.graph.edges.edges_for` derives from the entry.
    edge_list: list[Edge]

    def alternative_ids(self) -> list[str]:
        """Ids of the Alternative nodes a step adds: its CONSIDERED edges' ends (cheap)."""
        return [edge.dst for edge in self.edge_list if edge.type == "CONSIDERED"]

    def alternatives(self) -> list[Alternative]:
        """The Alternative nodes a step adds, with their text and selection (``[]`` for
        other entries), built on request: a store that keeps only ids need not build them."""
        r = self.entry.record
        if self.node_id is None or "alternatives_considered" not in r:
            return []
        return alternatives_of(self.node_id, r["alternatives_considered"],
                               r.get("selected_alternative"))


@dataclass(frozen=True, slots=True)
class TraceStart:
    """The trace index row a ``trace_started`` entry creates."""

    session_id: str
    created_at: str
    agent_id: str | None = None
    parent_trace_id: str | None = None


@dataclass(frozen=True, slots=True)
class TraceCompletion:
    """The trace index change a ``trace_completed`` entry makes."""

    seq: int
    status: str
    outcome: str | None = None
    completed_at: str | None = None


@dataclass(frozen=True, slots=True)
class SealedAppend:
    """The rows one append writes, and the chain head after it."""

    tenant_id: str
    trace_id: str
    entries: list[PlannedEntry]
    #: The trace's last step before the batch (the NEXT edge to its first step starts there).
    previous_step_id: str | None
    #: The new head: entry count, step count, hash of the last entry, last step id.
    entry_count: int
    step_count: int
    head_hash: str
    last_step_id: str | None
    start: TraceStart | None = None
    completion: TraceCompletion | None = None
    #: The trace's status after the batch when it has human inputs (paused while a question
    #: waits for its answer: :func:`~tracegraph.schema.records.questions_status`); ``None``
    #: when it has none, or when the batch completes the trace.
    status: str | None = None
    #: The questions waiting after the batch, to store with the head when ``status`` is set
    #: (:func:`~tracegraph.schema.records.open_questions_after`).
    open_questions: list[str] | None = None
    #: Models the batch's steps used, first use first, each once.
    models: list[str] = field(default_factory=list)

    def sealed(self) -> list[ChainEntry]:
        """The sealed entries, what ``append`` returns."""
        return [p.entry for p in self.entries]

    def edges(self) -> Iterator[Edge]:
        """Every edge of the batch, entry by entry (``edges_for`` order)."""
        for p in self.entries:
            yield from p.edge_list


def batch_ids(items: Items) -> list[str]:
    """The record ids of ``items`` (steps, API calls, human inputs), in order: the ids a
    backend looks up (:class:`StoredId`) before :func:`plan_append`."""
    out: list[str] = []
    for kind, record in items:
        key = RECORD_ID_FIELD.get(kind)
        if key is not None:
            out.append(record[key])
    return out


def plan_append(
    tenant_id: str,
    trace_id: str,
    items: Items,
    expected_seq: int | None,
    *,
    head: StoredHead | None,
    tombstoned: bool,
    stored: Mapping[str, StoredId],
) -> Replay | SealedAppend:
    """Apply the append contract to what the backend read (see the module docstring).

    ``items`` must not be empty. ``head`` is ``None`` when the tenant has no trace of the
    id; ``tombstoned`` says whether retention removed one of the tenant's (read only then);
    ``stored`` maps the batch's record ids that the tenant has stored to where they are
    (ids not stored are absent).
    """
    starting = items[0][0] == _STARTED
    if head is None:
        if not starting:
            raise TraceNotFound(f"trace {trace_id} not found")
        if tombstoned:
            raise AlreadyExists(f"trace {trace_id} existed and was removed by retention")
        head = StoredHead(0, 0, GENESIS_PREV_HASH, None, False)
    elif starting:
        if len(items) == 1:
            return Replay(trace_id, tenant_id, (0,), items[0][1])
        raise AlreadyExists(f"trace {trace_id} already exists")
    if head.completed:
        raise TraceClosed(f"trace {trace_id} is completed; its chain accepts no entries")
    if expected_seq is not None and head.entry_count != expected_seq:
        raise ChainConflict(f"trace {trace_id}: next seq is {head.entry_count}, "
                            f"not {expected_seq}")
    if stored:
        replay = _replayed(tenant_id, trace_id, items, stored)
        if replay is not None:
            return replay
    return _sealed(tenant_id, trace_id, items, head)


def _replayed(tenant_id: str, trace_id: str, items: Items,
              stored: Mapping[str, StoredId]) -> Replay | None:
    """The replay when every item's id is stored in this trace; ``None`` when none of the
    batch's ids is stored; else ``AlreadyExists``."""
    seqs: list[int] = []
    for kind, record in items:
        key = RECORD_ID_FIELD.get(kind)
        if key is None:
            break
        where = stored.get(record[key])
        if where is None:
            if seqs:
                raise AlreadyExists("some records of this batch are already stored, "
                                    "others are not: retry with the same ids or new ones")
            break
        if where.trace_id != trace_id or where.seq is None:
            raise AlreadyExists(f"{key} {record[key]} is already taken")
        seqs.append(where.seq)
    else:
        return Replay(trace_id, tenant_id, tuple(seqs))
    for kind, record in items:  # not a retry: no id of the batch may be stored
        key = RECORD_ID_FIELD.get(kind)
        if key is not None and record[key] in stored:
            raise AlreadyExists(f"{key} {record[key]} is already taken")
    return None


def _sealed(tenant_id: str, trace_id: str, items: Items, head: StoredHead) -> SealedAppend:
    """Number, seal and derive the rows of a batch that is new."""
    step_count = head.step_count
    numbered: list[tuple[str, dict[str, Any]]] = []
    ids: list[str] = []
    for kind, record in items:
        if kind == _STEP:
            ids.append(record["step_id"])
            record = {**record, "step_index": step_count}
            step_count += 1
        elif kind in RECORD_ID_FIELD:
            ids.append(record[RECORD_ID_FIELD[kind]])
        numbered.append((str(kind), record))  # (an EntryKind member as its plain value)
    if len(set(ids)) != len(ids):
        _refuse_repeated_id(items)
    sealed = seal_encoded(tenant_id, trace_id, head.entry_count, head.head_hash, numbered)
    last_step_id = head.last_step_id
    planned: list[PlannedEntry] = []
    models: dict[str, None] = {}
    start: TraceStart | None = None
    completion: TraceCompletion | None = None
    asked: list[dict[str, Any]] = []
    for e, body in sealed:
        r = e.record
        kind = e.kind
        if kind == _STEP:
            node_id: str | None = r["step_id"]
            if "model_id" in r:
                models[r["model_id"]] = None
            planned.append(PlannedEntry(e, body, node_id, edges_for(e, last_step_id)))
            last_step_id = node_id
            continue
        node_id = r[RECORD_ID_FIELD[kind]] if kind in RECORD_ID_FIELD else None
        if kind == _STARTED:
            start = TraceStart(r["session_id"], r["created_at"], r.get("agent_id"),
                               r.get("parent_trace_id"))
        elif kind == _COMPLETED:
            completion = TraceCompletion(e.seq, r["status"], r.get("outcome"),
                                         r.get("completed_at"))
        elif kind == _HUMAN:
            asked.append(r)
        planned.append(PlannedEntry(e, body, node_id, edges_for(e, last_step_id)))
    status: str | None = None
    waiting: list[str] | None = None
    if asked and completion is None:
        waiting = open_questions_after(head.open_questions, asked)
        status = questions_status(waiting)
    return SealedAppend(
        tenant_id=tenant_id, trace_id=trace_id, entries=planned,
        previous_step_id=head.last_step_id, entry_count=head.entry_count + len(sealed),
        step_count=step_count, head_hash=sealed[-1][0].hash, last_step_id=last_step_id,
        start=start, completion=completion, status=status, open_questions=waiting,
        models=list(models),
    )


def stored_ids(entries: Iterable[ChainEntry]) -> tuple[list[str], list[str]]:
    """The ids of the graph nodes (steps, API calls, human inputs and their alternatives)
    and of the models that appending ``entries`` stored beside them, derived as
    :func:`plan_append` derives them: what a store removing the trace deletes by key.

    >>> from tracegraph.schema.chain import seal
    >>> e = seal("t", "tr", 1, "0" * 64, "step", {"step_id": "s1", "model_id": "m",
    ...                                           "alternatives_considered": ["a", "b"]})
    >>> stored_ids([e])
    (['s1', 's1#alt0', 's1#alt1'], ['m'])
    """
    nodes: list[str] = []
    models: dict[str, None] = {}
    for e in entries:
        key = RECORD_ID_FIELD.get(e.kind)
        r = e.record
        if key is None or key not in r:
            continue
        nodes.append(r[key])
        if e.kind == _STEP:
            if "model_id" in r:
                models[r["model_id"]] = None
            nodes.extend(edge.dst for edge in edges_for(e, None) if edge.type == "CONSIDERED")
    return nodes, list(models)


def _refuse_repeated_id(items: Items) -> None:
    """``AlreadyExists`` for the first record id that ``items`` repeat."""
    seen: set[str] = set()
    for kind, record in items:
        key = RECORD_ID_FIELD.get(kind)
        if key is not None:
            if record[key] in seen:
                raise AlreadyExists(f"{key} {record[key]} is already taken")
            seen.add(record[key])

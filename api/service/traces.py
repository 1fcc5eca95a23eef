"""The service layer: the one place every interface (GraphQL, REST, MCP, CLI, SDK) calls.

It validates meaning (dependsOn targets, parents, spawning steps), turns inputs into
records, appends them through the :class:`GraphStore`, and builds read models. It never
talks SQL, Cypher or DQL; the store never sees unvalidated input.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt
from tracegraph.api.embedding import Embedder
from tracegraph.graph.protocol import ChainHead, EncodedChainStore, GraphStore, TraceRow
from tracegraph.schema import records
from tracegraph.schema.chain import ChainEntry, Verification, tombstone_hash, verify_entries
from tracegraph.schema.enums import STATUS_FOR_OUTCOME, EntryKind
from tracegraph.schema.errors import (
    AlreadyExists,
    ChainConflict,
    InvalidInput,
    LimitExceeded,
    TraceNotFound,
)
from tracegraph.schema.ids import new_id
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.policy import DEFAULT_POLICY, StoragePolicy
from tracegraph.schema.records import Totals
from tracegraph.schema.sampling import DEFAULT_SAMPLING, SamplingPolicy
from tracegraph.schema.views import (
    ApiCallView,
    ChainVerification,
    HumanInputView,
    StepView,
    TraceView,
)

from .batch_checks import call_ids, check_batch_size, step_ids
from .events import EntriesAppended, EventStream
from .nesting import walk_nesting
from .paging import TracePage, decode_cursor, encode_cursor, every_trace_row, store_filter
from .retention import RetentionReport, apply_retention
from .search import SemanticSearch
from .semantic import SemanticIndex
from .views import TraceQuery

MAX_PAGE = 100
DEFAULT_PAGE = 20
#: Completion reads the chain, rolls it up and seals only if nothing was appended meanwhile.
COMPLETE_ATTEMPTS = 50
#: Traces whose reasoning opt-out a service remembers (a few MB at most).
REASONING_FLAGS = 65_536
_STEP = frozenset({EntryKind.STEP.value})
#: The id of each record kind: its GraphQL input name and its record key.
_ID_FIELDS = {EntryKind.STEP.value: ("stepId", "step_id"),
              EntryKind.API_CALL.value: ("callId", "call_id"),
              EntryKind.HUMAN_INPUT.value: ("inputId", "input_id")}
_KIND_NAMES = {EntryKind.STEP.value: "a step", EntryKind.API_CALL.value: "an API call",
               EntryKind.HUMAN_INPUT.value: "a human input"}
_CALL = frozenset({EntryKind.API_CALL.value})
_HUMAN = frozenset({EntryKind.HUMAN_INPUT.value})


@dataclass(frozen=True)
class SessionReplay:
    session_id: str
    traces: list[TraceView]
    steps: list[StepView]


def trace_view(row: TraceRow) -> TraceView:
    s, c = row.started, row.completed or {}
    totals = Totals(**c["totals"]) if "totals" in c else None
    return TraceView.model_construct(
        trace_id=row.trace_id, tenant_id=row.tenant_id, status=row.status,
        entry_count=row.entry_count, head_hash=row.head_hash,
        session_id=s.get("session_id", ""), created_at=s.get("created_at", ""),
        agent_id=s.get("agent_id"), actor_urn=s.get("actor_urn"), goal=s.get("goal"),
        parent_trace_id=s.get("parent_trace_id"),
        spawned_by_step_id=s.get("spawned_by_step_id"), metadata=s.get("metadata"),
        include_reasoning_trace=s.get("include_reasoning_trace", True),
        outcome=c.get("outcome"), final_answer=c.get("final_answer"),
        confidence=c.get("confidence"), error_details=c.get("error_details"),
        completed_at=c.get("completed_at"), totals=totals,
        model_ids_used=c.get("model_ids_used", []), path_taken=c.get("path_taken", []),
    )


class TraceService:
    """Trace lifecycle, reads and verification over one :class:`GraphStore`."""

    def __init__(self, store: GraphStore, policy: StoragePolicy = DEFAULT_POLICY,
                 events: EventStream | None = None,
                 sampling: SamplingPolicy = DEFAULT_SAMPLING) -> None:
        self.store = store
        self.policy = policy
        #: Which steps are embedded for semantic search (seed 001), once an embedder is
        #: attached (:meth:`enable_semantic`); none before.
        self.sampling = sampling
        self.semantic: SemanticIndex | None = None
        #: Every append this service makes is published here (see :mod:`.events`).
        self.events = events or EventStream()
        # (a runtime protocol check costs tens of microseconds: once, not per verification)
        self._encoded = store if isinstance(store, EncodedChainStore) else None
        # A trace's opt-out is part of its hashed start record, so it never changes and a
        # trace id is never reused: remembered, it spares every later batch of the trace a
        # store round trip (a transaction on Neo4j and Dgraph). Unknown traces still raise.
        self._includes_reasoning = functools.lru_cache(maxsize=REASONING_FLAGS)(
            self._read_includes_reasoning)

    def close(self) -> None:
        """Stop the embedding worker (after the steps it has queued), close the store."""
        if self.semantic is not None:
            self.semantic.close()
        self.store.close()

    def enable_semantic(self, embedder: Embedder, *, catch_up: bool = True) -> SemanticIndex:
        """Embed the steps :attr:`sampling` selects with ``embedder`` from now on (and, with
        ``catch_up``, the stored ones that have no vector yet), off the append path."""
        if self.semantic is None:
            self.semantic = SemanticIndex(self, embedder, catch_up=catch_up)
        return self.semantic

    def semantic_search(self) -> SemanticSearch:
        """Search by meaning (:mod:`.search`); refused when no embedder is attached."""
        if self.semantic is None:
            raise InvalidInput("semantic search is off on this server: it has no embedder "
                               "(docs/semantic-search.md)", field="embedder")
        return SemanticSearch(self.semantic)

    def step_embedded(self, step: StepView) -> bool:
        """``hasEmbedding``: the step is one the sampling policy embeds and this service
        embeds steps (its vector is written by the worker right after the append)."""
        return self.semantic is not None and self.sampling.embeds(step.tenant_id, {
            "step_id": step.step_id, "step_type": step.step_type, "content": step.content,
            "input_summary": step.input_summary, "output_summary": step.output_summary})

    def tenants(self) -> list[str]:
        """Every tenant with a stored trace."""
        return list(self.store.tenants())

    def apply_retention(self, tenant_id: str, days: int, *, dry_run: bool = False
                        ) -> RetentionReport:
        """Remove the tenant's expired traces, leaving tombstones (:mod:`.retention`)."""
        return apply_retention(self.store, tenant_id, days, dry_run=dry_run)

    def _read_includes_reasoning(self, tenant_id: str, trace_id: str) -> bool:
        """False when the trace's agent opted out of storing step contents."""
        row = self.store.get_traces(tenant_id, [trace_id]).get(trace_id)
        if row is None:
            raise TraceNotFound(f"trace {trace_id} not found")
        return bool(row.started.get("include_reasoning_trace", True))

    # -- lifecycle --------------------------------------------------------------------------
    def start_trace(self, tenant_id: str, inp: StartTraceInput) -> TraceView:
        trace_id = inp.trace_id or new_id()
        session_id = inp.session_id
        if inp.parent_trace_id is not None:
            parent = self.store.get_traces(tenant_id, [inp.parent_trace_id])
            if inp.parent_trace_id not in parent:
                raise InvalidInput(f"parentTraceId: trace {inp.parent_trace_id} not found",
                                   field="parentTraceId")
            session_id = session_id or parent[inp.parent_trace_id].started["session_id"]
        if inp.spawned_by_step_id is not None:
            if inp.parent_trace_id is None:
                raise InvalidInput("spawnedByStepId: needs parentTraceId (the step's trace)",
                                   field="spawnedByStepId")
            ref = self.store.resolve(tenant_id, [inp.spawned_by_step_id]).get(
                inp.spawned_by_step_id)
            if ref is None or ref.kind != "step" or ref.trace_id != inp.parent_trace_id:
                raise InvalidInput(f"spawnedByStepId: step {inp.spawned_by_step_id} not found "
                                   f"in parent trace {inp.parent_trace_id}",
                                   field="spawnedByStepId")
        include = inp.include_reasoning_trace and self.policy.keeps_reasoning(inp.agent_id)
        record = records.trace_started_record(inp, session_id=session_id or trace_id,
                                              include_reasoning=include, policy=self.policy)
        (sealed,) = self.store.append(tenant_id, trace_id,
                                      [(EntryKind.TRACE_STARTED, record)])
        self._published(tenant_id, trace_id, [sealed])
        return self._one_trace(tenant_id, trace_id)

    def _published(self, tenant_id: str, trace_id: str, sealed: Sequence[ChainEntry]) -> None:
        """Tell the event stream's subscribers that ``sealed`` were appended."""
        if sealed and self.semantic is not None:
            self.semantic.appended(tenant_id, sealed)
        if sealed:
            self.events.publish(EntriesAppended(tenant_id, trace_id, sealed[-1].hash,
                                                len(sealed)))

    def record_steps(
        self, tenant_id: str, trace_id: str, steps: Sequence[StepInput]
    ) -> list[StepView]:
        check_batch_size("steps", "step", len(steps))
        sealed = self._append_records(tenant_id, trace_id,
                                      self._step_items(tenant_id, trace_id, steps))
        return [StepView.from_entry(e) for e in sealed]

    def _step_items(self, tenant_id: str, trace_id: str, steps: Sequence[StepInput]
                    ) -> list[tuple[str, dict[str, Any]]]:
        """The records of ``steps``, checked (:func:`.batch_checks.step_ids`)."""
        ids = step_ids(self.store, tenant_id, steps)
        include = self._includes_reasoning(tenant_id, trace_id)
        return [(EntryKind.STEP.value, records.step_record(
                    s, step_id=i, include_reasoning=include, policy=self.policy))
                for s, i in zip(steps, ids, strict=True)]

    def record_api_call(self, tenant_id: str, trace_id: str, inp: ApiCallInput) -> ApiCallView:
        self._check_step_of_trace(tenant_id, trace_id, inp.step_id)
        record = records.api_call_record(inp, call_id=inp.call_id or new_id(),
                                         policy=self.policy)
        (entry,) = self._append_records(tenant_id, trace_id,
                                        [(EntryKind.API_CALL.value, record)])
        return ApiCallView.from_entry(entry)

    def record_api_calls(
        self, tenant_id: str, trace_id: str, calls: Sequence[ApiCallInput]
    ) -> list[ApiCallView]:
        """Several API calls of one trace in one append: all of them are stored or none.

        The same records and checks as :meth:`record_api_call` one by one, in one
        transaction (what an SDK flushing a buffer of calls wants)."""
        check_batch_size("calls", "call", len(calls))
        return [ApiCallView.from_entry(e) for e in self._append_records(
            tenant_id, trace_id, self._call_items(tenant_id, trace_id, calls))]

    def _call_items(self, tenant_id: str, trace_id: str, calls: Sequence[ApiCallInput],
                    batch_steps: Collection[str] = ()) -> list[tuple[str, dict[str, Any]]]:
        """The records of ``calls``, checked (:func:`.batch_checks.call_ids`)."""
        ids = call_ids(self.store, tenant_id, trace_id, calls, batch_steps)
        return [(EntryKind.API_CALL.value,
                 records.api_call_record(c, call_id=i, policy=self.policy))
                for c, i in zip(calls, ids, strict=True)]

    def record_steps_and_calls(
        self, tenant_id: str, trace_id: str, steps: Sequence[StepInput],
        calls: Sequence[ApiCallInput],
    ) -> int:
        """Steps, then API calls tied to them (or to stored steps of the trace), in one
        append: all of them are stored or none, and a retry of the same batch is answered
        by the stored entries. The checks and records of :meth:`record_steps` and
        :meth:`record_api_calls`, one transaction instead of two and no read of the
        batch's own steps; answers the number of entries instead of views (for adapters
        that answer with counts: OTLP)."""
        if not steps and not calls:
            raise InvalidInput("steps: at least one step or call is required", field="steps")
        if steps:
            check_batch_size("steps", "step", len(steps))
        if calls:
            check_batch_size("calls", "call", len(calls))
        items = self._step_items(tenant_id, trace_id, steps) if steps else []
        batch_steps = {r["step_id"] for _, r in items}
        if calls:
            items += self._call_items(tenant_id, trace_id, calls, batch_steps)
        return len(self._append_records(tenant_id, trace_id, items))

    def record_human_input(
        self, tenant_id: str, trace_id: str, inp: HumanInputInput
    ) -> HumanInputView:
        self._check_step_of_trace(tenant_id, trace_id, inp.step_id)
        self._check_question_of_trace(tenant_id, trace_id, inp)
        include = self._includes_reasoning(tenant_id, trace_id)
        record = records.human_input_record(inp, input_id=inp.input_id or new_id(),
                                            include_reasoning=include, policy=self.policy)
        (entry,) = self._append_records(tenant_id, trace_id,
                                        [(EntryKind.HUMAN_INPUT.value, record)])
        return HumanInputView.from_entry(entry)

    def _append_records(
        self, tenant_id: str, trace_id: str, items: Sequence[tuple[str, dict[str, Any]]]
    ) -> list[ChainEntry]:
        """``store.append`` of steps, API calls or human inputs.

        A retry whose ids are all stored already gets the stored entries back (the store's
        idempotent replay); when an id names a record of another kind (a call id that is a
        step's id) that is no retry: ``AlreadyExists``, and nothing was stored.
        """
        sealed = self.store.append(tenant_id, trace_id, items)
        for (kind, record), entry in zip(items, sealed, strict=True):
            if entry.kind != kind:
                field, key = _ID_FIELDS[kind]
                raise AlreadyExists(f"{field}: {record[key]} already names "
                                    f"{_KIND_NAMES.get(entry.kind, entry.kind)} of this trace")
        self._published(tenant_id, trace_id, sealed)
        return sealed

    def _check_question_of_trace(self, tenant_id: str, trace_id: str,
                                 inp: HumanInputInput) -> None:
        """An answer to an earlier question names a human input of this trace."""
        asked = inp.answers_input_id
        if asked is None:
            return
        if inp.answer is None:
            raise InvalidInput("answer: required with answersInputId (it records the answer "
                               f"to {asked})", field="answer")
        ref = self.store.resolve(tenant_id, [asked]).get(asked)
        if ref is None or ref.kind != "human_input" or ref.trace_id != trace_id:
            raise InvalidInput(f"answersInputId: human input {asked} not found in trace "
                               f"{trace_id}", field="answersInputId")

    def _check_step_of_trace(self, tenant_id: str, trace_id: str, step_id: str | None) -> None:
        if step_id is None:
            return
        ref = self.store.resolve(tenant_id, [step_id]).get(step_id)
        if ref is None or ref.kind != "step" or ref.trace_id != trace_id:
            raise InvalidInput(f"stepId: step {step_id} not found in trace {trace_id}",
                               field="stepId")

    def complete_trace(
        self, tenant_id: str, trace_id: str, inp: CompleteTraceInput
    ) -> TraceView:
        status = (inp.status or STATUS_FOR_OUTCOME[inp.outcome]).value
        retrying = Retrying(stop=stop_after_attempt(COMPLETE_ATTEMPTS),
                            retry=retry_if_exception_type(ChainConflict), reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    return self._complete_once(tenant_id, trace_id, inp, status)
        except ChainConflict:
            pass
        raise ChainConflict(f"trace {trace_id}: appends kept arriving while completing it; "
                            "retry")

    def _complete_once(self, tenant_id: str, trace_id: str, inp: CompleteTraceInput,
                       status: str) -> TraceView:
        """Read the chain, roll it up and seal the completion only if nothing was appended
        meanwhile (``ChainConflict`` otherwise: the caller reads again)."""
        entries = self.store.entries(tenant_id, [trace_id]).get(trace_id, [])
        if not entries:
            raise TraceNotFound(f"trace {trace_id} not found")
        totals, models, path = records.rollup(entries)
        record = records.completion_record(inp, status=status, totals=totals,
                                           models=models, path=path, policy=self.policy)
        # sealed only if nothing was appended since the read: the rollup is exact
        (sealed,) = self.store.append(tenant_id, trace_id,
                                      [(EntryKind.TRACE_COMPLETED.value, record)],
                                      expected_seq=len(entries))
        self._published(tenant_id, trace_id, [sealed])
        if entries[0].kind != EntryKind.TRACE_STARTED:
            return self._one_trace(tenant_id, trace_id)
        # a completed chain takes no more entries: the row is known without reading it
        return trace_view(TraceRow(tenant_id, trace_id, status, sealed.seq + 1, sealed.hash,
                                   entries[0].record, sealed.record))

    # -- reads --------------------------------------------------------------------------------
    def _one_trace(self, tenant_id: str, trace_id: str) -> TraceView:
        view = self.get_traces(tenant_id, [trace_id]).get(trace_id)
        if view is None:
            raise TraceNotFound(f"trace {trace_id} not found")
        return view

    def get_trace(self, tenant_id: str, trace_id: str) -> TraceView | None:
        return self.get_traces(tenant_id, [trace_id]).get(trace_id)

    def get_traces(self, tenant_id: str, trace_ids: Sequence[str]) -> dict[str, TraceView]:
        rows = self.store.get_traces(tenant_id, trace_ids)
        return {t: trace_view(r) for t, r in rows.items()}

    def locate(self, tenant_id: str, node_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``(kind, trace id)`` of each stored id (trace, step, api_call, ...); absent ids
        are left out."""
        found = self.store.resolve(tenant_id, node_ids) if node_ids else {}
        return {i: (ref.kind, ref.trace_id) for i, ref in found.items()}

    def entries_from(self, tenant_id: str, trace_id: str, seq: int) -> list[ChainEntry]:
        """A trace's chain entries from ``seq`` on, in order: how live subscriptions catch up
        (two store calls, and only one when nothing is new)."""
        row = self.store.get_traces(tenant_id, [trace_id]).get(trace_id)
        if row is None:
            raise TraceNotFound(f"trace {trace_id} not found")
        wanted = [(trace_id, s) for s in range(max(seq, 0), row.entry_count)]
        if not wanted:
            return []
        got = self.store.entries_at(tenant_id, wanted)
        return [got[w] for w in wanted if w in got]

    def list_traces(
        self, tenant_id: str, query: TraceQuery, first: int | None = None,
        after: str | None = None, last: int | None = None, before: str | None = None,
    ) -> TracePage:
        """A page of traces, newest first (Relay paging).

        ``first`` (default 20) traces after the cursor ``after``, or the ``last`` traces
        just before (newer than) the cursor ``before``; ``last`` alone: the oldest traces.
        """
        if first is not None and last is not None:
            raise InvalidInput("first, last: give one of them, not both", field="last")
        if last is None:
            if before is not None:
                raise InvalidInput("before: pages backward, so it goes with last, not first",
                                   field="before")
            size, arg, cursor_text = DEFAULT_PAGE if first is None else first, "first", after
        else:
            if after is not None:
                raise InvalidInput("after: pages forward, so it goes with first, not last",
                                   field="after")
            size, arg, cursor_text = last, "last", before
        if not 1 <= size <= MAX_PAGE:
            raise LimitExceeded(f"{arg}: {size} is outside 1..{MAX_PAGE}", field=arg)
        field = "after" if last is None else "before"
        cursor = decode_cursor(cursor_text, field) if cursor_text else None
        flt = store_filter(query)
        if last is None:
            rows = self.store.list_traces(tenant_id, flt, size + 1, cursor)
            views = [trace_view(r) for r in rows[:size]]
            return TracePage(views, [encode_cursor(v) for v in views],
                             has_next=len(rows) > size, has_previous=cursor is not None)
        rows = self.store.list_traces(tenant_id, flt, size + 1, cursor, ascending=True)
        views = [trace_view(r) for r in reversed(rows[:size])]
        return TracePage(views, [encode_cursor(v) for v in views],
                         has_next=cursor is not None, has_previous=len(rows) > size)

    def steps(self, tenant_id: str, trace_ids: Sequence[str]) -> dict[str, list[StepView]]:
        got = self.store.entries(tenant_id, trace_ids, _STEP)
        return {t: [StepView.from_entry(e) for e in es] for t, es in got.items()}

    def api_calls(self, tenant_id: str, trace_ids: Sequence[str]) -> dict[str, list[ApiCallView]]:
        got = self.store.entries(tenant_id, trace_ids, _CALL)
        return {t: [ApiCallView.from_entry(e) for e in es] for t, es in got.items()}

    def human_inputs(
        self, tenant_id: str, trace_ids: Sequence[str]
    ) -> dict[str, list[HumanInputView]]:
        got = self.store.entries(tenant_id, trace_ids, _HUMAN)
        return {t: [HumanInputView.from_entry(e) for e in es] for t, es in got.items()}

    def children(self, tenant_id: str, trace_ids: Sequence[str]) -> dict[str, list[str]]:
        return dict(self.store.children(tenant_id, trace_ids))

    def totals(self, tenant_id: str, trace_ids: Sequence[str]) -> dict[str, Totals]:
        """Rollups of each trace alone, computed from its entries (fresh while active)."""
        got = self.store.entries(tenant_id, trace_ids, _STEP | _CALL)
        return {t: records.rollup(es)[0] for t, es in got.items()}

    def subtree_ids(self, tenant_id: str, trace_id: str) -> list[str]:
        """The trace and every nested descendant, breadth first: one store call per level."""
        return self.subtrees(tenant_id, [trace_id])[trace_id]

    def subtrees(self, tenant_id: str, roots: Sequence[str]) -> dict[str, list[str]]:
        """Each root and its nested descendants, breadth first, walked together: one store
        call per level of nesting, whatever the number of roots."""
        walk = walk_nesting(lambda level: self.store.children(tenant_id, level), roots)
        return {r: walk.subtree(r) for r in roots}

    def subtree_totals(self, tenant_id: str, trace_id: str) -> Totals:
        return self.subtrees_totals(tenant_id, [trace_id])[trace_id]

    def subtrees_totals(self, tenant_id: str, roots: Sequence[str]) -> dict[str, Totals]:
        """Rollups of each root and all its nested descendants: the nesting of every root
        walked together (one store call per level), then one read of every trace's totals."""
        members = self.subtrees(tenant_id, roots)
        own = self.totals(tenant_id, list(dict.fromkeys(t for ts in members.values()
                                                        for t in ts)))
        out: dict[str, Totals] = {}
        for root, ts in members.items():
            total = Totals()
            for t in ts:
                total = total + own.get(t, Totals())
            out[root] = total
        return out

    def session_traces(self, tenant_id: str, session_id: str) -> list[TraceView]:
        """Every trace of a session, oldest first."""
        return [trace_view(r) for r in self._session_rows(tenant_id, session_id)]

    def _session_rows(self, tenant_id: str, session_id: str) -> list[TraceRow]:
        """The index rows of a session's traces, oldest first."""
        rows = every_trace_row(self.store, tenant_id, TraceQuery(session_id=session_id))
        rows.reverse()
        return rows

    def replay_session(self, tenant_id: str, session_id: str) -> SessionReplay | None:
        traces = self.session_traces(tenant_id, session_id)
        if not traces:
            return None
        steps = self.steps(tenant_id, [t.trace_id for t in traces])
        ordered = [s for t in traces for s in steps.get(t.trace_id, [])]
        return SessionReplay(session_id, traces, ordered)

    # -- verification ------------------------------------------------------------------------
    def verify_trace(self, tenant_id: str, trace_id: str) -> ChainVerification:
        row = self.store.get_traces(tenant_id, [trace_id]).get(trace_id)
        if row is None:
            raise TraceNotFound(f"trace {trace_id} not found")
        fast = self._verified_from_stored_bytes(tenant_id, {trace_id: row}).get(trace_id)
        if fast is not None:
            return _verification(fast)
        entries = self.store.entries(tenant_id, [trace_id])[trace_id]
        return _verification(self._verify(tenant_id, row, entries))

    def _verified_from_stored_bytes(
        self, tenant_id: str, rows: Mapping[str, ChainHead | TraceRow]
    ) -> dict[str, Any]:
        """Chains that verify from their stored canonical bytes (stores that keep them).

        Only valid results come back; every other chain is verified from decoded entries,
        which names the first broken seq and why.
        """
        if self._encoded is None:
            return {}
        heads = [r if isinstance(r, ChainHead) else ChainHead(r.trace_id, r.entry_count,
                                                                 r.head_hash)
                 for r in rows.values()]
        return {t: Verification.passed(t, rows[t].entry_count, rows[t].head_hash)
                for t in self._encoded.chains_with_intact_bytes(tenant_id, heads)}

    def _verify(
        self, tenant_id: str, row: ChainHead | TraceRow, entries: list[ChainEntry]
    ) -> Any:
        """Verify ``entries`` against the head recorded in ``row`` (read before them)."""
        length: int | None = row.entry_count
        head: str | None = row.head_hash
        if len(entries) > row.entry_count:
            # entries beyond the head read earlier: appended since then, or forged behind the
            # store's back. A head read now covers every real append among them.
            again = self.store.get_traces(tenant_id, [row.trace_id]).get(row.trace_id)
            if again is not None and again.entry_count >= len(entries):
                length = len(entries)
                head = again.head_hash if again.entry_count == len(entries) else None
        return verify_entries(entries, tenant_id=tenant_id, trace_id=row.trace_id,
                              expected_length=length, expected_head=head)

    def _session_heads(
        self, tenant_id: str, session_id: str
    ) -> Sequence[ChainHead | TraceRow]:
        """A session's traces with their recorded lengths and heads, oldest first (without
        decoding their start and completion records, when the store can)."""
        if self._encoded is not None:
            return self._encoded.session_heads(tenant_id, session_id)
        return self._session_rows(tenant_id, session_id)

    def verify_session(self, tenant_id: str, session_id: str) -> ChainVerification:
        traces = self._session_heads(tenant_id, session_id)
        removed = self.store.tombstones(tenant_id, session_id)
        if not traces and not removed:
            raise InvalidInput(f"sessionId: session {session_id} not found", field="sessionId")
        # the listing's rows carry each trace's recorded length and head, read before its
        # entries (as get_traces would)
        rows = {t.trace_id: t for t in traces}
        fast = self._verified_from_stored_bytes(tenant_id, rows)
        rest = [t.trace_id for t in traces if t.trace_id not in fast]
        entries = self.store.entries(tenant_id, rest) if rest else {}
        checked = 0
        for t in traces:
            result = fast.get(t.trace_id) or self._verify(tenant_id, rows[t.trace_id],
                                                         entries[t.trace_id])
            checked += result.entries_checked
            if not result.valid:
                return ChainVerification(
                    valid=False, entries_checked=checked, first_broken_seq=result.first_broken_seq,
                    reason=f"trace {t.trace_id}: {result.reason}", trace_id=t.trace_id,
                    traces_checked=len(traces))
        for r in removed:
            if tombstone_hash(r.tenant_id, r.trace_id, r.session_id, r.entry_count,
                              r.final_hash, r.removed_at) != r.hash:
                return ChainVerification(
                    valid=False, entries_checked=checked, trace_id=r.trace_id,
                    reason=f"tombstone of trace {r.trace_id}: its hash does not match its "
                    "fields (changed after removal)", traces_checked=len(traces))
        reason = None
        if removed:
            reason = (f"{len(removed)} trace(s) removed by retention: "
                      + ", ".join(f"{r.trace_id} ({r.entry_count} entries, final hash "
                                  f"{r.final_hash[:12]}…, removed {r.removed_at})"
                                  for r in removed))
        return ChainVerification(valid=True, entries_checked=checked, reason=reason,
                                 traces_checked=len(traces))


def _verification(v: Any) -> ChainVerification:
    return ChainVerification(
        valid=v.valid, entries_checked=v.entries_checked, first_broken_seq=v.first_broken_seq,
        reason=v.reason, trace_id=v.trace_id, head_hash=v.head_hash,
    )

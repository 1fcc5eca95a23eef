"""Placing OTLP spans: agent and root spans become traces, the others steps of the trace
of their nearest agent ancestor; children that arrive before their parents wait.

Ids are derived from the OTLP trace and span ids (:mod:`.mapping`), so a re-sent span is
found stored and skipped, and a span tree split over many export requests becomes one
run. Spans whose parent is not placed yet are held (:class:`~..service.HeldItems`: in the
store when it keeps them, as every backend does, so they survive a restart and every server
on the database sees them; else in the server process's memory; at most
:data:`MAX_PENDING` spans) and placed when the parent arrives, whichever server it reaches
(:meth:`OtlpIngestor._ingest_group`). Whether a parent is placed is looked up in the
store, so a child arriving after a restart still finds a parent stored before it.

A request is placed in span start order, then stored in few appends: each trace's new
steps and their API calls in one ``record_steps_and_calls`` (flushed early when a nested
trace is spawned by one of them), then the completions of the agent spans placed (an
agent span is exported once it ended). A span that cannot be stored (a value
over a limit, a child arriving after its trace completed) is rejected with the reason;
the rest are stored.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from pydantic import ValidationError
from tracegraph.schema.errors import TraceGraphError
from tracegraph.schema.inputs import ApiCallInput, CompleteTraceInput, StepInput
from tracegraph.schema.limits import MAX_BATCH_STEPS

from ..service import HeldItems, TraceService
from . import mapping
from .decode import Span, span_bytes, span_of_bytes

#: Most spans held waiting for their parents, over all tenants.
MAX_PENDING = 100_000


class Placement(NamedTuple):
    """Where a placed span lives: its trace, and its step (``None`` for an agent span).
    (A named tuple: one is made per span, for less than a frozen dataclass.)"""

    trace_id: str
    step_id: str | None


@dataclass
class IngestResult:
    """What one export request did."""

    stored: int = 0
    duplicates: int = 0
    pending: int = 0
    rejected: list[str] = field(default_factory=list)

    @property
    def rejected_count(self) -> int:
        return len(self.rejected)


@dataclass
class _Plan:
    """Appends of one request, in order of need."""

    #: Each trace's new steps, with the API call of each (or ``None``), in order.
    steps: dict[str, list[tuple[StepInput, ApiCallInput | None, Span]]] = field(
        default_factory=lambda: defaultdict(list))
    completions: list[tuple[str, CompleteTraceInput, Span]] = field(default_factory=list)
    failed_traces: set[str] = field(default_factory=set)


class OtlpIngestor:
    """Places spans into one service's store; holds children until their parents arrive."""

    def __init__(self, service: TraceService) -> None:
        self.service = service
        self._lock = threading.Lock()
        #: Spans waiting for their parents: group = the OTLP trace id, item = the span id.
        self.held = HeldItems(service)

    def pending_count(self) -> int:
        return self.held.count()

    def ingest(self, tenant_id: str, spans: Sequence[Span]) -> IngestResult:
        """Store what ``spans`` become (blocking; one request at a time)."""
        with self._lock:
            return self._ingest(tenant_id, spans)

    def _ingest(self, tenant_id: str, spans: Sequence[Span]) -> IngestResult:
        result = IngestResult()
        pools: dict[str, dict[str, Span]] = defaultdict(dict)
        for s in spans:
            pools[s.trace_id][s.span_id] = s
        for otel_trace, new in pools.items():
            self._ingest_group(tenant_id, otel_trace, new, result)
        result.pending = self.held.count()
        return result

    # -- held spans shared by every server on the store --------------------------------------
    def _ingest_group(self, tenant_id: str, otel_trace: str, new: dict[str, Span],
                      result: IngestResult) -> None:
        """Place one OTLP trace's new spans with those held for it, and hold the rest.

        Other servers on the same store hold and place spans of the same trace at the same
        time, so the held spans are read from the store before placing, and again after
        every placement that stored something (before the agent spans placed complete
        their traces): a span another server held after the first read, under a span placed
        now, is placed too. Spans held here whose parent another server stored after this
        one looked for it are looked for again once held (:meth:`_held_parents_stored`),
        and placed if it is there now. So of a parent stored by one server and a child
        held by another, whichever commits last finds the other. Ids are client-chosen,
        so two servers placing the same span store it once."""
        held = self.held.get(tenant_id, otel_trace)
        pool = {**{k: span_of_bytes(b) for k, b in held.items()}, **new}
        completions: list[tuple[str, CompleteTraceInput, Span]] = []
        before = result.stored
        waiting = self._place_pool(tenant_id, pool, result, completions)
        while self.held.durable and result.stored > before:
            late = {k: b for k, b in self.held.get(tenant_id, otel_trace).items()
                    if k not in held}
            held.update(late)  # (removed below once placed, also when this request had them)
            unseen = {k: span_of_bytes(b) for k, b in late.items() if k not in pool}
            if not unseen:
                break
            pool.update(unseen)
            side, before = IngestResult(), result.stored
            waiting = self._place_pool(tenant_id, {**unseen, **waiting}, side, completions)
            result.stored += side.stored
            result.rejected += side.rejected
        self._run(tenant_id, _Plan(completions=completions), result)
        placed = [k for k in held if k not in waiting]
        fresh = [s for k, s in waiting.items() if k not in held]
        room = max(MAX_PENDING - (self.held.count() - len(placed)), 0)
        for s in fresh[room:]:
            result.rejected.append(f"span {s.span_id}: more than {MAX_PENDING} spans "
                                   "wait for their parents")
        self.held.update(tenant_id, otel_trace,
                         {s.span_id: span_bytes(s) for s in fresh[:room]}, placed)
        if self.held.durable and self._held_parents_stored(tenant_id, otel_trace,
                                                          fresh[:room], waiting):
            side = IngestResult()
            self._ingest_group(tenant_id, otel_trace, {}, side)
            result.stored += side.stored
            result.rejected += side.rejected

    def _held_parents_stored(self, tenant_id: str, otel_trace: str, fresh: Sequence[Span],
                             waiting: dict[str, Span]) -> bool:
        """Whether a parent of the spans just held (one not waiting itself) is stored now."""
        parents = {s.parent_id for s in fresh if s.parent_id and s.parent_id not in waiting}
        ids = [i for p in parents
               for base in (mapping.trace_id_for(otel_trace, p),)
               for i in (base, base + mapping.STEP_SUFFIX)]
        return bool(ids) and bool(self.service.locate(tenant_id, ids))

    def _place_pool(self, tenant_id: str, pool: dict[str, Span], result: IngestResult,
                    completions: list[tuple[str, CompleteTraceInput, Span]]
                    ) -> dict[str, Span]:
        """Place what can be placed of one OTLP trace's spans; returns those still waiting.
        The agent spans' completions are added to ``completions``, for the caller."""
        ids = {s.span_id: (base, base + mapping.STEP_SUFFIX) for s in pool.values()
               for base in (mapping.trace_id_of(s),)}
        parents = {s.parent_id for s in pool.values() if s.parent_id and s.parent_id not in pool}
        any_span = next(iter(pool.values()))
        for p in parents:
            base = mapping.trace_id_for(any_span.trace_id, p)
            ids[p] = (base, base + mapping.STEP_SUFFIX)
        stored = self.service.locate(tenant_id, [i for pair in ids.values() for i in pair])
        placed: dict[str, Placement] = {}
        for span_id, (tid, sid) in ids.items():
            if sid in stored:
                placed[span_id] = Placement(stored[sid][1], sid)
            elif tid in stored:
                placed[span_id] = Placement(tid, None)
        todo = []
        for s in pool.values():
            if s.span_id in placed:
                result.duplicates += 1
            else:
                todo.append(s)
        todo.sort(key=lambda s: s.start_ns)
        mapping.vouch_span_ids(todo)
        plan = _Plan()
        progress = True
        while todo and progress:
            progress = False
            later = []
            for s in todo:
                parent = placed.get(s.parent_id) if s.parent_id else None
                if s.parent_id and parent is None:
                    later.append(s)
                    continue
                progress = True
                where = self._place(tenant_id, s, parent, plan, result)
                if where is not None:
                    placed[s.span_id] = where
            todo = later
        completions += plan.completions
        plan.completions = []
        self._run(tenant_id, plan, result)
        return {s.span_id: s for s in todo}

    def _place(self, tenant_id: str, span: Span, parent: Placement | None, plan: _Plan,
               result: IngestResult) -> Placement | None:
        agent = mapping.is_agent(span)
        try:
            if agent:
                inp = mapping.start_input(
                    span, parent_trace_id=parent.trace_id if parent else None,
                    spawned_by_step_id=parent.step_id if parent else None)
                trace_id = mapping.trace_id_of(span)
                complete = mapping.complete_input(span)
            else:
                assert parent is not None
                step, call = mapping.step_and_call(span, depends_on=parent.step_id)
        except ValidationError as exc:
            result.rejected.append(f"span {span.span_id}: {_first_error(exc)}")
            return None
        if agent:
            if parent is not None and parent.step_id is not None:
                self._flush_steps(tenant_id, parent.trace_id, plan, result)
            if parent is not None and parent.trace_id in plan.failed_traces:
                return self._reject(span, f"parent trace {parent.trace_id} was not stored",
                                    plan, result, trace_id)
            try:
                self.service.start_trace(tenant_id, inp)
            except TraceGraphError as exc:
                return self._reject(span, str(exc), plan, result, trace_id)
            result.stored += 1
            plan.completions.append((trace_id, complete, span))
            return Placement(trace_id, None)
        assert parent is not None
        plan.steps[parent.trace_id].append((step, call, span))
        return Placement(parent.trace_id, step.step_id)

    @staticmethod
    def _reject(span: Span, reason: str, plan: _Plan, result: IngestResult,
                trace_id: str) -> None:
        plan.failed_traces.add(trace_id)
        result.rejected.append(f"span {span.span_id}: {reason}")

    def _flush_steps(self, tenant_id: str, trace_id: str, plan: _Plan,
                     result: IngestResult) -> None:
        """Store the trace's planned steps and their API calls: a chunk in one append
        (``record_steps_and_calls``); a chunk that fails is retried span by span, so only
        the steps and calls that fail alone are rejected (with their reasons)."""
        batch = plan.steps.pop(trace_id, [])
        service = self.service
        for i in range(0, len(batch), MAX_BATCH_STEPS):
            chunk = batch[i:i + MAX_BATCH_STEPS]
            try:
                service.record_steps_and_calls(tenant_id, trace_id, [s for s, _, _ in chunk],
                                               [c for _, c, _ in chunk if c is not None])
                result.stored += len(chunk)
                continue
            except TraceGraphError:
                pass
            for step, call, span in chunk:
                try:
                    service.record_steps(tenant_id, trace_id, [step])
                except TraceGraphError as exc:
                    result.rejected.append(f"span {span.span_id}: {exc}")
                    continue
                result.stored += 1
                if call is not None:
                    try:
                        service.record_api_calls(tenant_id, trace_id, [call])
                    except TraceGraphError as exc:
                        result.rejected.append(f"span {span.span_id} (API call): {exc}")

    def _run(self, tenant_id: str, plan: _Plan, result: IngestResult) -> None:
        for trace_id in list(plan.steps):
            self._flush_steps(tenant_id, trace_id, plan, result)
        for trace_id, complete, span in plan.completions:
            try:
                self.service.complete_trace(tenant_id, trace_id, complete)
            except TraceGraphError as exc:
                result.rejected.append(f"span {span.span_id} (completion): {exc}")


#: Field name of each camelCase alias: :func:`.mapping.step_and_call` validates by alias
#: (pydantic looks an alias up first), errors name the field as the other inputs do.
_FIELD_OF_ALIAS = {f.alias: name for model in (StepInput, ApiCallInput)
                   for name, f in model.model_fields.items() if f.alias}


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = list(err["loc"])
    if loc and isinstance(loc[0], str):
        loc[0] = _FIELD_OF_ALIAS.get(loc[0], loc[0])
    where = ".".join(str(p) for p in loc)
    return f"{where}: {err['msg']}" if where else str(err["msg"])

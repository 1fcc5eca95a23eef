"""Conformance: trace listings filter and page alike on every backend.

Traces are created with explicit ``created_at`` times (two of them equal, so the tie-break
on trace id is exercised) through the service layer, then listed by every filter and
paged through with cursors.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.protocol import TraceFilter
from tracegraph.schema.errors import InvalidInput, LimitExceeded
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput

from .runs import Names

BASE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _iso(minutes: int) -> str:
    return (BASE + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def names(tenant: str) -> Names:
    return Names(f"{tenant}-")


@pytest.fixture
def listed(service: TraceService, tenant: str, names: Names) -> Names:
    """Seven traces::

        name  minute session agent  model    status     outcome  parent
        A     0      s-a     ag1    m1       completed  success  -
        B     1      s-a     ag2    m2       failed     failure  -
        C     2      s-b     ag1    m1, m2   active     -        A
        D     3      s-b     ag2    -        completed  partial  A
        E     4      s-a     ag1    m3       cancelled  failure  C
        F     5      s-b     -      -        active     -        -
        G     5      s-a     ag2    m1       active     -        -   (same minute as F)
    """
    n = names
    rows = [
        ("A", 0, "s-a", "ag1", ["m1"], None, None),
        ("B", 1, "s-a", "ag2", ["m2"], ("failure", None), None),
        ("C", 2, "s-b", "ag1", ["m1", "m2"], None, "A"),
        ("D", 3, "s-b", "ag2", [], ("partial", None), "A"),
        ("E", 4, "s-a", "ag1", ["m3"], ("failure", "cancelled"), "C"),
        ("F", 5, "s-b", None, [], None, None),
        ("G", 5, "s-a", "ag2", ["m1"], None, None),
    ]
    for name, minute, session, agent, models, done, parent in rows:
        service.start_trace(tenant, StartTraceInput(
            trace_id=n(name), session_id=n(session), agent_id=agent,
            parent_trace_id=n(parent) if parent else None,
            created_at=BASE + timedelta(minutes=minute)))
        if models:
            service.record_steps(tenant, n(name), [
                StepInput(step_type="Reasoning", content=f"{name} {m}", model_id=m)
                for m in models])
        if done is not None:
            outcome, status = done
            service.complete_trace(tenant, n(name), CompleteTraceInput(
                outcome=outcome, status=status))
    service.complete_trace(tenant, n("A"), CompleteTraceInput(outcome="success"))
    return n


def _names(n: Names, service: TraceService, tenant: str, flt: TraceFilter,
           first: int = 100) -> list[str]:
    return n.shorts(t.trace_id for t in service.list_traces(tenant, flt, first).traces)


def test_newest_first_ties_by_trace_id(service: TraceService, tenant: str, listed: Names
                                       ) -> None:
    # F and G share a minute: trace id descending puts G first
    assert _names(listed, service, tenant, TraceFilter()) == ["G", "F", "E", "D", "C", "B", "A"]


@pytest.mark.parametrize("flt,expected", [
    (TraceFilter(agent_id="ag1"), ["E", "C", "A"]),
    (TraceFilter(status="active"), ["G", "F", "C"]),
    (TraceFilter(status="failed"), ["B"]),
    (TraceFilter(status="cancelled"), ["E"]),
    (TraceFilter(outcome="failure"), ["E", "B"]),
    (TraceFilter(outcome="partial"), ["D"]),
    (TraceFilter(model_id="m1"), ["G", "C", "A"]),
    (TraceFilter(model_id="m2"), ["C", "B"]),
    (TraceFilter(model_id="nope"), []),
    (TraceFilter(roots_only=True), ["G", "F", "B", "A"]),
    (TraceFilter(created_after=_iso(2)), ["G", "F", "E", "D", "C"]),
    (TraceFilter(created_before=_iso(2)), ["B", "A"]),
    (TraceFilter(created_after=_iso(1), created_before=_iso(4)), ["D", "C", "B"]),
    (TraceFilter(agent_id="ag2", model_id="m1"), ["G"]),
    (TraceFilter(status="active", roots_only=True), ["G", "F"]),
])
def test_filters(service: TraceService, tenant: str, listed: Names, flt: TraceFilter,
                 expected: list[str]) -> None:
    assert _names(listed, service, tenant, flt) == expected


def test_filters_naming_ids(service: TraceService, tenant: str, listed: Names) -> None:
    n = listed
    assert _names(n, service, tenant, TraceFilter(session_id=n("s-a"))) == ["G", "E", "B", "A"]
    assert _names(n, service, tenant, TraceFilter(parent_trace_id=n("A"))) == ["D", "C"]
    assert _names(n, service, tenant, TraceFilter(session_id=n("s-b"), agent_id="ag2")) == ["D"]
    assert _names(n, service, tenant, TraceFilter(parent_trace_id=n("nope"))) == []
    assert service.children(tenant, [n("A"), n("C"), n("G")]) == {
        n("A"): [n("C"), n("D")], n("C"): [n("E")], n("G"): []}


def test_cursor_pagination_visits_everything_once(service: TraceService, tenant: str,
                                                  listed: Names) -> None:
    for flt in (TraceFilter(), TraceFilter(session_id=listed("s-a")),
                TraceFilter(status="active")):
        everything = _names(listed, service, tenant, flt)
        seen: list[str] = []
        after: str | None = None
        pages = 0
        while True:
            page = service.list_traces(tenant, flt, 2, after)
            seen.extend(listed.shorts(t.trace_id for t in page.traces))
            pages += 1
            assert len(page.cursors) == len(page.traces)
            if not page.has_next:
                break
            after = page.cursors[-1]
        assert seen == everything
        assert pages == max(1, (len(everything) + 1) // 2)


def test_page_limits_and_bad_cursor(service: TraceService, tenant: str, listed: Names) -> None:
    assert len(service.list_traces(tenant, TraceFilter(), 1).traces) == 1
    with pytest.raises(LimitExceeded, match="first"):
        service.list_traces(tenant, TraceFilter(), 101)
    with pytest.raises(LimitExceeded, match="first"):
        service.list_traces(tenant, TraceFilter(), 0)
    with pytest.raises(InvalidInput, match="after"):
        service.list_traces(tenant, TraceFilter(), 5, "not a cursor")


def test_listing_is_per_tenant(service: TraceService, tenant: str, listed: Names) -> None:
    other = tenant + "x"
    assert service.list_traces(other, TraceFilter(), 100).traces == []
    assert service.list_traces(other, TraceFilter(session_id=listed("s-a")), 100).traces == []
    assert service.get_traces(other, [listed("A")]) == {}

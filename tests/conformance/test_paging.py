"""Conformance: Relay paging of trace listings, forward (first/after) and backward
(last/before), alike on every backend.

25 traces in five groups of five with identical ``created_at`` (so every page boundary may
fall inside a tie, broken by trace id). Paging forward and paging backward must visit the
same sequence, newest first, with no duplicates and no gaps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tracegraph.api.service import TracePage, TraceQuery, TraceService
from tracegraph.schema.errors import InvalidInput, LimitExceeded
from tracegraph.schema.inputs import StartTraceInput

from .runs import Names

BASE = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
COUNT = 25


@pytest.fixture
def names(service: TraceService, tenant: str) -> Names:
    """``t00`` .. ``t24``: minute ``i // 5``; sessions alternate ``s-even`` / ``s-odd``.

    Ids are created in a shuffled order so insertion order cannot stand in for the sort.
    """
    n = Names(f"{tenant}-")
    for i in sorted(range(COUNT), key=lambda i: (i * 7) % COUNT):
        service.start_trace(tenant, StartTraceInput(
            trace_id=n(f"t{i:02d}"), session_id=n("s-even" if i % 2 == 0 else "s-odd"),
            created_at=BASE + timedelta(minutes=i // 5)))
    return n


def _expected(flt_session: str | None = None) -> list[str]:
    """Newest first: minute descending, then trace id descending."""
    ids = [i for i in range(COUNT)
           if flt_session is None or (i % 2 == 0) == (flt_session == "s-even")]
    return [f"t{i:02d}" for i in sorted(ids, key=lambda i: (i // 5, i), reverse=True)]


def _shorts(n: Names, page: TracePage) -> list[str]:
    assert len(page.cursors) == len(page.traces)
    return n.shorts(t.trace_id for t in page.traces)


def _forward(service: TraceService, tenant: str, n: Names, flt: TraceQuery,
             size: int) -> list[str]:
    seen: list[str] = []
    after: str | None = None
    while True:
        page = service.list_traces(tenant, flt, first=size, after=after)
        seen.extend(_shorts(n, page))
        assert page.has_previous == (after is not None)
        if not page.has_next:
            break
        assert page.end_cursor is not None
        after = page.end_cursor
    return seen


def _backward(service: TraceService, tenant: str, n: Names, flt: TraceQuery,
              size: int) -> list[str]:
    seen: list[str] = []
    before: str | None = None
    while True:
        page = service.list_traces(tenant, flt, last=size, before=before)
        got = _shorts(n, page)
        assert 1 <= len(got) <= size
        seen[:0] = got
        assert page.has_next == (before is not None)
        if not page.has_previous:
            break
        assert page.start_cursor is not None
        before = page.start_cursor
    return seen


@pytest.mark.parametrize("size", [1, 3, 4, 5, 25, 100])
def test_forward_and_backward_visit_the_same_sequence(service: TraceService, tenant: str,
                                                      names: Names, size: int) -> None:
    expected = _expected()
    forward = _forward(service, tenant, names, TraceQuery(), size)
    backward = _backward(service, tenant, names, TraceQuery(), size)
    assert forward == expected
    assert backward == expected
    assert len(set(backward)) == COUNT


def test_filtered_paging_both_ways(service: TraceService, tenant: str, names: Names) -> None:
    for session in ("s-even", "s-odd"):
        flt = TraceQuery(session_id=names(session))
        expected = _expected(session)
        assert _forward(service, tenant, names, flt, 4) == expected
        assert _backward(service, tenant, names, flt, 4) == expected


def test_last_alone_is_the_oldest(service: TraceService, tenant: str, names: Names) -> None:
    expected = _expected()
    page = service.list_traces(tenant, TraceQuery(), last=7)
    assert _shorts(names, page) == expected[-7:]
    assert page.has_previous and not page.has_next
    everything = service.list_traces(tenant, TraceQuery(), last=100)
    assert _shorts(names, everything) == expected
    assert not everything.has_previous and not everything.has_next


def test_before_a_cursor_is_immediately_newer(service: TraceService, tenant: str,
                                              names: Names) -> None:
    expected = _expected()
    full = service.list_traces(tenant, TraceQuery(), first=100)
    for k in (0, 1, 4, 5, 6, 12, 24):
        page = service.list_traces(tenant, TraceQuery(), last=3, before=full.cursors[k])
        assert _shorts(names, page) == expected[max(0, k - 3):k]
        assert page.has_previous == (k > 3)
        assert page.has_next
        # paging forward from the page's end cursor continues right at the cursor's trace
        if page.end_cursor is not None:
            nxt = service.list_traces(tenant, TraceQuery(), first=2, after=page.end_cursor)
            assert _shorts(names, nxt) == expected[k:k + 2]


def test_paging_arguments_are_checked(service: TraceService, tenant: str, names: Names
                                      ) -> None:
    cursor = service.list_traces(tenant, TraceQuery(), first=1).cursors[0]
    assert len(service.list_traces(tenant, TraceQuery()).traces) == 20
    for bad in (0, 101, -1):
        with pytest.raises(LimitExceeded, match=rf"last: {bad} is outside 1\.\.100"):
            service.list_traces(tenant, TraceQuery(), last=bad)
        with pytest.raises(LimitExceeded, match=rf"first: {bad} is outside 1\.\.100"):
            service.list_traces(tenant, TraceQuery(), first=bad)
    with pytest.raises(InvalidInput, match="first, last") as both:
        service.list_traces(tenant, TraceQuery(), first=5, last=5)
    assert both.value.field == "last"
    with pytest.raises(InvalidInput, match=r"after: .* with first") as after:
        service.list_traces(tenant, TraceQuery(), last=5, after=cursor)
    assert after.value.field == "after"
    with pytest.raises(InvalidInput, match=r"before: .* with last") as before:
        service.list_traces(tenant, TraceQuery(), first=5, before=cursor)
    assert before.value.field == "before"
    with pytest.raises(InvalidInput, match="before") as bad_cursor:
        service.list_traces(tenant, TraceQuery(), last=5, before="not a cursor")
    assert bad_cursor.value.field == "before"

"""``plan_search``: how wide a shared vector index is asked, or when the search is exact."""

from __future__ import annotations

from tracegraph.graph.vectors import POOL, SLACK, VectorHit, plan_search, planned_search

KW = {"breadth": 100, "most": 16000, "exact_below": 2000}


def test_a_tenant_that_owns_the_index_asks_for_its_pool_with_slack() -> None:
    assert plan_search(10, 100_000, 100_000, **KW).candidates == int(10 * POOL * SLACK)


def test_the_breadth_is_the_least_asked() -> None:
    assert plan_search(1, 100_000, 100_000, **KW).candidates == 100


def test_a_smaller_share_asks_for_more_in_proportion() -> None:
    assert plan_search(10, 50_000, 100_000, **KW).candidates == 300
    assert plan_search(10, 10_000, 100_000, **KW).candidates == 1500


def test_a_small_tenant_or_too_small_a_share_is_searched_exactly() -> None:
    assert plan_search(10, 1999, 100_000, **KW).candidates is None
    assert plan_search(10, 5000, 1_000_000, **KW).candidates is None  # (30,000 > most)
    assert plan_search(10, 0, 100_000, **KW).candidates is None


def test_a_filter_that_keeps_little_widens_then_goes_exact() -> None:
    assert plan_search(10, 100_000, 100_000, passing=1 / 12, **KW).candidates == 1800
    assert plan_search(10, 100_000, 100_000, passing=0.001, **KW).candidates is None
    assert plan_search(10, 100_000, 100_000, passing=0.0, **KW).candidates is None


def test_an_index_smaller_than_the_ask_is_read_whole() -> None:
    assert plan_search(10, 3000, 5000, **KW).candidates == 250
    assert plan_search(10, 2500, 12_000, passing=0.05, **KW).candidates == 12_000


# -- planned_search: the loop both servers run (graph/neo4j/vectors.py, graph/dgraph/vectors.py)
def _hits(n: int) -> list[VectorHit]:
    return [VectorHit(f"s{i:03d}", "t", 1.0 - i / 1000) for i in range(n)]


class Index:
    """An index whose filter keeps ``passing`` of the neighbours asked (records each ask)."""

    def __init__(self, passing: float, share: float = 1.0) -> None:
        self.passing, self.share, self.asked, self.exact = passing, share, [], 0

    def search(self, candidates: int, pool: int) -> list[VectorHit]:
        self.asked.append(candidates)
        return _hits(min(pool, int(candidates * self.share * self.passing)))

    def exact_search(self, k: int) -> list[VectorHit]:
        self.exact += 1
        return _hits(k)


def _run(ix: Index, mine: int, total: int, k: int = 10) -> list[VectorHit]:
    return planned_search(k, mine, total, index=ix.search, exact=ix.exact_search, **KW)


def test_a_full_pool_is_answered_from_one_index_search() -> None:
    ix = Index(passing=1.0)
    assert _run(ix, 100_000, 100_000) == _hits(10)
    assert ix.asked == [150] and ix.exact == 0


def test_a_short_answer_widens_by_the_measured_pass_rate() -> None:
    ix = Index(passing=1 / 12)  # (a step type filter: Decision)
    assert _run(ix, 100_000, 100_000) == _hits(10)
    assert ix.asked == [150, 1875] and ix.exact == 0  # (12 of 150 kept: 0.08 measured)


def test_a_small_tenant_is_searched_exactly_without_the_index() -> None:
    ix = Index(passing=1.0)
    assert _run(ix, 1000, 100_000) == _hits(10)
    assert ix.asked == [] and ix.exact == 1


def test_a_filter_that_keeps_almost_nothing_ends_exact_never_short() -> None:
    ix = Index(passing=0.0005)
    assert _run(ix, 100_000, 100_000) == _hits(10)
    assert ix.asked == [150] and ix.exact == 1  # (1800 x 12 > most: exact at once)
    ix = Index(passing=0.0)
    assert _run(ix, 100_000, 100_000) == _hits(10)
    assert ix.asked == [150] and ix.exact == 1


def test_an_index_read_whole_is_trusted_even_short() -> None:
    ix = Index(passing=0.5)
    assert len(_run(ix, 3000, 3000)) == 10  # (250 asked of 3000: 125 kept, a full pool)
    ix = Index(passing=0.01)
    got = _run(ix, 2500, 2500)
    assert ix.asked[-1] == 2500 and ix.exact == 0 and len(got) == 10

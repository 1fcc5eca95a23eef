"""``plan_search``: how wide a shared vector index is asked, or when the search is exact."""

from __future__ import annotations

from tracegraph.graph.vectors import POOL, SLACK, plan_search

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

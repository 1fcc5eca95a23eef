"""``check_json``: the path-free walk of plain values answers exactly as the walk that names
paths, and leaves everything else (every error among it) to it."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tracegraph.schema import limits
from tracegraph.schema.limits import MAX_JSON_DEPTH, MAX_SAFE_INT, check_json


def typed(v: Any) -> Any:
    """``v`` with every value's type spelled out (``1 == 1.0``, ``(1,) != [1]``)."""
    if isinstance(v, dict):
        return ("dict", [(typed(k), typed(x)) for k, x in v.items()])
    if isinstance(v, list | tuple):
        return (type(v).__name__, [typed(x) for x in v])
    return (type(v).__name__, repr(v))


def same_answer(value: Any) -> None:
    try:
        walked: Any = ("ok", typed(limits._walked_json(value, "f")))
    except ValueError as exc:
        walked = ("error", str(exc))
    try:
        plain: Any = ("ok", typed(limits._plain_json(value)))
    except limits._NotPlain:
        plain = None
    assert plain is None or plain == walked
    try:
        checked: Any = ("ok", typed(check_json(value, field="f")))
    except ValueError as exc:
        checked = ("error", str(exc))
    assert checked == walked


KEYS = st.text(max_size=4) | st.sampled_from(["\ud800", "é", "k"]) | st.integers(0, 3)
LEAVES = (st.none() | st.booleans() | st.integers(-MAX_SAFE_INT - 2, MAX_SAFE_INT + 2)
          | st.integers() | st.floats() | st.floats(-1e17, 1e17).map(float.__floor__).map(float)
          | st.text(max_size=6) | st.sampled_from(["\udfff", "ünï", b"bytes", 1j, -0.0]))
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4)
                      | st.lists(inner, max_size=3).map(tuple)
                      | st.dictionaries(KEYS, inner, max_size=4), max_leaves=20)


@settings(max_examples=600, deadline=None)
@given(VALUES)
def test_plain_walk_answers_as_the_named_walk(value: Any) -> None:
    same_answer(value)


def nested(depth: int, leaf: Any, container: str) -> Any:
    v = leaf
    for _ in range(depth):
        v = {"d": v} if container == "dict" else [v]
    return v


def test_depth_and_node_limits_alike() -> None:
    for container in ("dict", "list"):
        for depth in (MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1):
            for leaf in ("x", {}, [], 1.5, None):
                same_answer(nested(depth, leaf, container))
    for n in (limits.MAX_JSON_NODES - 2, limits.MAX_JSON_NODES - 1, limits.MAX_JSON_NODES,
              limits.MAX_JSON_NODES + 1):
        same_answer(list(range(n)))
        same_answer([[i] for i in range(n // 2)])
        same_answer({str(i): i for i in range(n)})

"""The nesting walk: traces under traces, one ``children`` store call per level.

Every walk of nested traces (a trace's subtree, run trees, subtree rollups, retention) is
:func:`walk_nesting`; store calls grow with the nesting depth, not the number of traces.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

ChildrenOf = Callable[[list[str]], Mapping[str, Sequence[str]]]


@dataclass
class Nesting:
    """The roots and every trace nested under them, breadth first."""

    order: list[str]  # the roots, then each level, children oldest first
    children: dict[str, list[str]] = field(default_factory=dict)
    truncated: bool = False  # the walk stopped at its limit: deeper traces are left out

    def subtree(self, root: str) -> list[str]:
        """``root`` and its descendants within this walk, breadth first."""
        out = [root]
        seen = {root}
        level = [root]
        while level:
            level = [c for t in level for c in self.children.get(t, []) if c not in seen]
            seen.update(level)
            out.extend(level)
        return out


def walk_nesting(children_of: ChildrenOf, roots: Sequence[str],
                 limit: int | None = None) -> Nesting:
    """Walk down from ``roots`` one level per ``children_of`` call; at most ``limit`` traces.

    >>> tree = {"a": ["b", "c"], "b": ["d"]}
    >>> walk = walk_nesting(lambda ids: {t: tree[t] for t in ids if t in tree}, ["a"])
    >>> walk.order, walk.subtree("b")
    (['a', 'b', 'c', 'd'], ['b', 'd'])
    """
    order = list(dict.fromkeys(roots))
    seen = set(order)
    walk = Nesting(order)
    level = list(order)
    while level and not walk.truncated:
        found = children_of(level)
        nxt: list[str] = []
        for t in level:
            for child in found.get(t, ()):
                if child in seen:  # a root nested under another root: walked once
                    walk.children.setdefault(t, []).append(child)
                    continue
                if limit is not None and len(order) >= limit:
                    walk.truncated = True
                    break
                seen.add(child)
                walk.children.setdefault(t, []).append(child)
                order.append(child)
                nxt.append(child)
        level = nxt
    return walk

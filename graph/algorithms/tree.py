"""The nested tree of a run: a root trace and every trace nested under it, at any depth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class TraceTreeNode:
    """One trace of a run tree and the traces nested directly under it, oldest first."""

    trace_id: str
    depth: int
    children: list[TraceTreeNode] = field(default_factory=list)

    def walk(self) -> list[TraceTreeNode]:
        """This node and all below it, depth first in child order.

        >>> t = nest_traces("r", {"r": ["a", "b"], "a": ["c"]})
        >>> [(n.trace_id, n.depth) for n in t.walk()]
        [('r', 0), ('a', 1), ('c', 2), ('b', 1)]
        """
        out: list[TraceTreeNode] = []
        stack = [self]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


def nest_traces(root: str, children: Mapping[str, Sequence[str]]) -> TraceTreeNode:
    """Nest traces under ``root`` from a parent -> children mapping.

    Parameters
    ----------
    root : str
        The trace at the top of the tree.
    children : mapping of str to sequence of str
        Ids of the traces nested directly under each trace, in the order to keep; traces
        missing from it have no children. A trace reached twice is kept once (first place).

    Returns
    -------
    TraceTreeNode
        The root with its descendants; ``depth`` counts levels from the root (0).

    Examples
    --------
    >>> t = nest_traces("r", {"r": ["a", "b"], "a": ["c"], "c": []})
    >>> [(c.trace_id, [g.trace_id for g in c.children]) for c in t.children]
    [('a', ['c']), ('b', [])]
    """
    top = TraceTreeNode(root, 0)
    seen = {root}
    level = [top]
    while level:
        nxt: list[TraceTreeNode] = []
        for node in level:
            for child in children.get(node.trace_id, ()):
                if child in seen:
                    continue
                seen.add(child)
                sub = TraceTreeNode(child, node.depth + 1)
                node.children.append(sub)
                nxt.append(sub)
        level = nxt
    return top

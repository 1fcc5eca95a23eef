"""Alternatives considered: the branches of a step, and the branches not taken in a run.

A step's ``alternatives_considered`` become Alternative nodes ``<step_id>#alt<i>`` (``i``
its 0-based position, the id :func:`tracegraph.graph.edges.edges_for` links with
CONSIDERED); the first one equal to ``selected_alternative`` is the selected branch. Every
other alternative is a branch not taken; when no alternative is selected, all of them are.
These functions read step records (the ``record`` of a step's chain entry), which every
backend returns alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

_ALT = "#alt"  # (between a step id and the index: ids never contain "#")


def alternative_id(step_id: str, index: int) -> str:
    """Node id of the ``index``-th alternative of a step.

    >>> alternative_id("s1", 2)
    's1#alt2'
    """
    return f"{step_id}{_ALT}{index}"


def alternative_index(node_id: str) -> int:
    """Position of an alternative in its step, from its node id (0 when it names none).

    >>> alternative_index("s1#alt2"), alternative_index("s1")
    (2, 0)
    """
    _, marker, index = node_id.rpartition(_ALT)
    return int(index) if marker and index.isdigit() else 0


class Alternative(NamedTuple):
    """One alternative a step considered (a tuple: a run's reads build thousands)."""

    node_id: str
    step_id: str
    index: int  # type: ignore[assignment]  # (the field, not tuple.index)
    text: str
    selected: bool


@dataclass(frozen=True, slots=True)
class StepBranches:
    """The alternatives of one step; ``selected`` is the text the step chose, if any."""

    step_id: str
    trace_id: str
    step_index: int
    step_type: str
    alternatives: list[Alternative]
    selected: str | None = None

    @property
    def not_taken(self) -> list[Alternative]:
        """Alternatives other than the selected one."""
        return [a for a in self.alternatives if not a.selected]


@dataclass(frozen=True, slots=True)
class TraceBranchCounts:
    """Branch counts of one trace."""

    trace_id: str
    steps_with_alternatives: int
    alternatives: int
    not_taken: int


@dataclass(frozen=True, slots=True)
class BranchSummary:
    """Branches of a set of traces: per step, per trace, and in total."""

    steps: list[StepBranches] = field(default_factory=list)
    traces: list[TraceBranchCounts] = field(default_factory=list)
    steps_with_alternatives: int = 0
    alternatives: int = 0
    not_taken: int = 0


def step_branches(trace_id: str, record: Mapping[str, Any]) -> StepBranches:
    """The branches of one step record.

    Parameters
    ----------
    trace_id : str
        The step's trace.
    record : mapping
        The step's stored record (``step_id``, ``step_index``, ``step_type``,
        ``alternatives_considered``, ``selected_alternative``).

    Returns
    -------
    StepBranches
        Every alternative in stored order, the first match of the selection flagged.

    Examples
    --------
    >>> b = step_branches("t", {"step_id": "s1", "step_index": 0, "step_type": "Decision",
    ...     "alternatives_considered": ["retry", "ask", "retry"],
    ...     "selected_alternative": "retry"})
    >>> [(a.node_id, a.selected) for a in b.alternatives]
    [('s1#alt0', True), ('s1#alt1', False), ('s1#alt2', False)]
    >>> [a.text for a in b.not_taken]
    ['ask', 'retry']
    """
    step_id: str = record["step_id"]
    selected: str | None = record.get("selected_alternative")
    alts = alternatives_of(step_id, record.get("alternatives_considered", ()), selected)
    return StepBranches(step_id, trace_id, int(record.get("step_index", 0)),
                        str(record.get("step_type", "")), alts, selected)


def alternatives_of(step_id: str, texts: Iterable[str], selected: str | None
                    ) -> list[Alternative]:
    """The Alternative nodes of a step: ``texts`` in order, the first equal to ``selected``
    flagged as the selected one.

    >>> [(a.node_id, a.selected) for a in alternatives_of("s1", ["a", "b", "b"], "b")]
    [('s1#alt0', False), ('s1#alt1', True), ('s1#alt2', False)]
    """
    chosen = selected is None
    alts: list[Alternative] = []
    for i, text in enumerate(texts):
        is_selected = not chosen and text == selected
        chosen = chosen or is_selected
        alts.append(Alternative(alternative_id(step_id, i), step_id, i, text, is_selected))
    return alts


def branches_not_taken(
    steps: Iterable[StepBranches], trace_ids: Iterable[str] = ()
) -> BranchSummary:
    """Count the branches not taken over many steps (a trace, or a whole run).

    Parameters
    ----------
    steps : iterable of StepBranches
        Steps in the order to report them; steps without alternatives are left out.
    trace_ids : iterable of str
        Traces to report counts for even when none of their steps considered alternatives
        (per-trace counts follow this order, then first appearance in ``steps``).

    Returns
    -------
    BranchSummary
        The steps that considered alternatives, per-trace counts and totals.

    Examples
    --------
    >>> a = step_branches("t1", {"step_id": "a", "alternatives_considered": ["x", "y"],
    ...                          "selected_alternative": "x"})
    >>> b = step_branches("t2", {"step_id": "b", "alternatives_considered": ["p", "q", "r"]})
    >>> s = branches_not_taken([a, b], ["t1", "t2", "t3"])
    >>> s.alternatives, s.not_taken, [(t.trace_id, t.not_taken) for t in s.traces]
    (5, 4, [('t1', 1), ('t2', 3), ('t3', 0)])
    """
    counts: dict[str, list[int]] = {t: [0, 0, 0] for t in trace_ids}
    kept: list[StepBranches] = []
    for s in steps:
        if not s.alternatives:
            continue
        kept.append(s)
        c = counts.setdefault(s.trace_id, [0, 0, 0])
        c[0] += 1
        c[1] += len(s.alternatives)
        c[2] += len(s.not_taken)
    traces = [TraceBranchCounts(t, *c) for t, c in counts.items()]
    return BranchSummary(
        steps=kept,
        traces=traces,
        steps_with_alternatives=len(kept),
        alternatives=sum(t.alternatives for t in traces),
        not_taken=sum(t.not_taken for t in traces),
    )

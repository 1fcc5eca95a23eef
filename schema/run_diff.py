"""The diff of two runs: their steps aligned, the decisions that chose differently, tool
calls added or removed, and token and cost deltas (a pure function over loaded runs).

A run is a trace and every trace nested under it. Steps are aligned in run order (traces
breadth first, steps in order) on their agent and step type, by the longest matching blocks
(:class:`difflib.SequenceMatcher`); an aligned pair whose content, choice or model differs is
``changed``. Tool calls are the API calls whose type is not ``llm``, compared as a multiset of
(type, method, endpoint).

>>> from tracegraph.schema.views import StepView, TraceView
>>> def run(tid, choice):
...     t = TraceView(trace_id=tid, tenant_id="x", session_id=tid, status="completed",
...                   created_at="", entry_count=2, head_hash="", agent_id="planner")
...     s = StepView(step_id=f"{tid}-d", trace_id=tid, tenant_id="x", step_index=0,
...                  step_type="Decision", seq=1, hash="", prev_hash="", created_at="",
...                  alternatives_considered=["a", "b"], selected_alternative=choice)
...     return RunSide(trace_id=tid, traces=[t], steps={tid: [s]})
>>> d = diff_runs(run("r1", "a"), run("r2", "b"))
>>> [(c.a_selected, c.b_selected) for c in d.decisions]
[('a', 'b')]
"""

from __future__ import annotations

from collections import Counter
from difflib import SequenceMatcher
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .records import Totals
from .views import ApiCallView, StepView, TraceView

StepChange = Literal["same", "changed", "added", "removed"]
#: Fields of an aligned step pair compared for ``changed`` (and named in ``changes``).
COMPARED_FIELDS = ("content", "selected_alternative", "alternatives_considered", "model_id",
                   "input_data", "output_data")


class RunSide(BaseModel):
    """One run as loaded for a diff: its traces in run order, their steps and API calls."""

    model_config = ConfigDict(frozen=True)

    trace_id: str
    traces: list[TraceView]
    steps: dict[str, list[StepView]]
    api_calls: dict[str, list[ApiCallView]] = {}
    totals: Totals = Totals()


class AlignedStep(BaseModel):
    """A step of run a, of run b, or of both (aligned)."""

    status: StepChange
    agent_id: str | None
    step_type: str
    a_step_id: str | None = None
    b_step_id: str | None = None
    changes: list[str] = []


class DecisionChange(BaseModel):
    """An aligned step that selected a different alternative in run b than in run a."""

    a_step_id: str
    b_step_id: str
    agent_id: str | None
    step_type: str
    a_selected: str | None
    b_selected: str | None
    a_alternatives: list[str]
    b_alternatives: list[str]


class ToolCallChange(BaseModel):
    """A tool call present in one run only (``count`` more times than in the other)."""

    api_type: str
    method: str | None
    endpoint: str | None
    count: int


class RunDiff(BaseModel):
    """What changed from run a to run b (``delta`` is b minus a, field by field)."""

    a: str
    b: str
    steps: list[AlignedStep]
    decisions: list[DecisionChange]
    added_tool_calls: list[ToolCallChange]
    removed_tool_calls: list[ToolCallChange]
    totals_a: Totals
    totals_b: Totals
    delta: Totals

    @property
    def changed_steps(self) -> int:
        return sum(1 for s in self.steps if s.status != "same")


def _run_steps(side: RunSide) -> list[tuple[str | None, StepView]]:
    agents = {t.trace_id: t.agent_id for t in side.traces}
    return [(agents.get(t.trace_id), s) for t in side.traces
            for s in side.steps.get(t.trace_id, [])]


def _changes(a: StepView, b: StepView) -> list[str]:
    return [f for f in COMPARED_FIELDS if getattr(a, f) != getattr(b, f)]


def _tool_calls(side: RunSide) -> Counter[tuple[str, str | None, str | None]]:
    return Counter((c.api_type, c.method, c.endpoint) for calls in side.api_calls.values()
                   for c in calls if c.api_type != "llm")


def _call_changes(counter: Counter[tuple[str, str | None, str | None]]) -> list[ToolCallChange]:
    return [ToolCallChange(api_type=t, method=m, endpoint=e, count=n)
            for (t, m, e), n in sorted(counter.items(), key=lambda kv: str(kv[0]))]


def _delta(a: Totals, b: Totals) -> Totals:
    return Totals(
        thinking_tokens=b.thinking_tokens - a.thinking_tokens,
        input_tokens=b.input_tokens - a.input_tokens,
        output_tokens=b.output_tokens - a.output_tokens,
        cost_usd=round(b.cost_usd - a.cost_usd, 10),
        duration_ms=b.duration_ms - a.duration_ms,
        step_count=b.step_count - a.step_count,
        api_call_count=b.api_call_count - a.api_call_count,
    )


def diff_runs(a: RunSide, b: RunSide) -> RunDiff:
    """Align the steps of runs ``a`` and ``b`` and report what differs (see module doc)."""
    sa, sb = _run_steps(a), _run_steps(b)
    matcher = SequenceMatcher(None, [(ag, s.step_type) for ag, s in sa],
                              [(ag, s.step_type) for ag, s in sb], autojunk=False)
    aligned: list[AlignedStep] = []
    decisions: list[DecisionChange] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            for (agent, x), (_, y) in zip(sa[i1:i2], sb[j1:j2], strict=True):
                changes = _changes(x, y)
                aligned.append(AlignedStep(status="changed" if changes else "same",
                                           agent_id=agent, step_type=x.step_type,
                                           a_step_id=x.step_id, b_step_id=y.step_id,
                                           changes=changes))
                if x.selected_alternative != y.selected_alternative:
                    decisions.append(DecisionChange(
                        a_step_id=x.step_id, b_step_id=y.step_id, agent_id=agent,
                        step_type=x.step_type, a_selected=x.selected_alternative,
                        b_selected=y.selected_alternative,
                        a_alternatives=x.alternatives_considered,
                        b_alternatives=y.alternatives_considered))
            continue
        aligned.extend(AlignedStep(status="removed", agent_id=agent, step_type=x.step_type,
                                   a_step_id=x.step_id) for agent, x in sa[i1:i2])
        aligned.extend(AlignedStep(status="added", agent_id=agent, step_type=y.step_type,
                                   b_step_id=y.step_id) for agent, y in sb[j1:j2])
    ca, cb = _tool_calls(a), _tool_calls(b)

    return RunDiff(a=a.trace_id, b=b.trace_id, steps=aligned, decisions=decisions,
                   added_tool_calls=_call_changes(cb - ca),
                   removed_tool_calls=_call_changes(ca - cb),
                   totals_a=a.totals, totals_b=b.totals, delta=_delta(a.totals, b.totals))

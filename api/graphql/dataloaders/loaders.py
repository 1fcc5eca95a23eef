"""The set of DataLoaders one request uses, created fresh for each request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader
from tracegraph.api.service import TraceService
from tracegraph.schema.records import Totals
from tracegraph.schema.views import ApiCallView, HumanInputView, StepView, TraceView

from .api_calls import api_calls_loader
from .children import children_loader
from .human_inputs import human_inputs_loader
from .steps import steps_loader
from .subtree_totals import subtree_totals_loader
from .totals import totals_loader
from .traces import traces_loader

R = TypeVar("R")


@dataclass(frozen=True)
class Loaders:
    traces: DataLoader[str, TraceView | None]
    steps: DataLoader[str, list[StepView]]
    api_calls: DataLoader[str, list[ApiCallView]]
    human_inputs: DataLoader[str, list[HumanInputView]]
    children: DataLoader[str, list[str]]
    totals: DataLoader[str, Totals]
    subtree_totals: DataLoader[str, Totals]
    _by_id: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def create(cls, service: TraceService, tenant_id: str) -> Loaders:
        return cls(
            traces=traces_loader(service, tenant_id),
            steps=steps_loader(service, tenant_id),
            api_calls=api_calls_loader(service, tenant_id),
            human_inputs=human_inputs_loader(service, tenant_id),
            children=children_loader(service, tenant_id),
            totals=totals_loader(service, tenant_id),
            subtree_totals=subtree_totals_loader(service, tenant_id),
        )

    async def step(self, trace_id: str, step_id: str) -> StepView | None:
        """One step by id, through its trace's steps (indexed once per request)."""
        return self._find("step", trace_id, step_id, await self.steps.load(trace_id),
                          lambda s: s.step_id)

    async def api_call(self, trace_id: str, call_id: str) -> ApiCallView | None:
        return self._find("api_call", trace_id, call_id, await self.api_calls.load(trace_id),
                          lambda c: c.call_id)

    async def human_input(self, trace_id: str, input_id: str) -> HumanInputView | None:
        return self._find("human_input", trace_id, input_id,
                          await self.human_inputs.load(trace_id), lambda h: h.input_id)

    def _find(self, kind: str, trace_id: str, key: str, rows: Sequence[R],
              id_of: Callable[[R], str]) -> R | None:
        index = self._by_id.get((kind, trace_id))
        if index is None:
            index = self._by_id[(kind, trace_id)] = {id_of(r): r for r in rows}
        found: R | None = index.get(key)
        return found

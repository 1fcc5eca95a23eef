"""The set of DataLoaders one request uses, created fresh for each request."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Loaders:
    traces: DataLoader[str, TraceView | None]
    steps: DataLoader[str, list[StepView]]
    api_calls: DataLoader[str, list[ApiCallView]]
    human_inputs: DataLoader[str, list[HumanInputView]]
    children: DataLoader[str, list[str]]
    totals: DataLoader[str, Totals]
    subtree_totals: DataLoader[str, Totals]

    @classmethod
    def create(cls, service: TraceService, tenant_id: str) -> Loaders:
        totals = totals_loader(service, tenant_id)
        return cls(
            traces=traces_loader(service, tenant_id),
            steps=steps_loader(service, tenant_id),
            api_calls=api_calls_loader(service, tenant_id),
            human_inputs=human_inputs_loader(service, tenant_id),
            children=children_loader(service, tenant_id),
            totals=totals,
            subtree_totals=subtree_totals_loader(service, tenant_id, totals),
        )

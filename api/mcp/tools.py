"""The MCP tools' work: each takes the caller's tenant and answers plain JSON-ready data,
shaped as seed 001 shows (``log_reasoning_step``, ``replay_decision``,
``get_session_history``) or as the service layer's views (run tree, path, lineage,
verification)."""

from __future__ import annotations

import dataclasses
from typing import Any

from pydantic import BaseModel
from tracegraph.schema.errors import InvalidInput, NotFound
from tracegraph.schema.inputs import StepInput

from ..service import GraphService, TraceService
from ..service.sessions import agent_sessions, log_session_step


def plain(value: Any) -> Any:
    """A view (pydantic model, dataclass, named tuple, list) as JSON-ready data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=False)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


class LedgerTools:
    """The tools over one service; every call names its tenant."""

    def __init__(self, service: TraceService) -> None:
        self.service = service
        self.graph = GraphService.beside(service)

    def log_reasoning_step(self, tenant_id: str, session_id: str, step: StepInput,
                           agent_id: str | None) -> dict[str, Any]:
        logged = log_session_step(self.service, tenant_id, session_id, step,
                                  agent_id=agent_id)
        return {"trace_id": logged.trace_id, "step_index": logged.step.step_index,
                "current_hash": logged.step.hash}

    def replay_decision(self, tenant_id: str, session_id: str,
                        verify_chain: bool) -> dict[str, Any]:
        replay = self.service.replay_session(tenant_id, session_id)
        if replay is None:
            raise NotFound(f"session_id: session {session_id} not found")
        agents = [t.agent_id for t in replay.traces if t.agent_id]
        answer: dict[str, Any] = {
            "session_id": session_id, "agent_id": agents[0] if agents else None,
            "step_count": len(replay.steps),
            "chain_valid": (self.service.verify_session(tenant_id, session_id).valid
                            if verify_chain else None),
            "steps": [{"step_index": s.step_index, "step_type": s.step_type,
                       "content": s.content, "trace_id": s.trace_id, "step_id": s.step_id,
                       "created_at": s.created_at, "confidence": s.confidence,
                       "model": s.model_id, "input_data": s.input_data,
                       "output_data": s.output_data, "prev_hash": s.prev_hash,
                       "current_hash": s.hash}
                      for s in replay.steps],
        }
        return answer

    def get_session_history(self, tenant_id: str, agent_id: str,
                            limit: int) -> list[dict[str, Any]]:
        page = agent_sessions(self.service, tenant_id, agent_id, first=limit)
        return [plain(s) for s in page.sessions]

    def get_run_tree(self, tenant_id: str, trace_id: str, from_root: bool,
                     include_steps: bool) -> dict[str, Any]:
        tree = self.graph.run_tree(tenant_id, trace_id, from_root=from_root,
                                   include_steps=include_steps)
        return {"root": plain(tree.root), "depth": tree.depth, "truncated": tree.truncated}

    def find_path(self, tenant_id: str, from_id: str, to_id: str, mode: str,
                  max_length: int | None) -> dict[str, Any]:
        found = self.graph.path(tenant_id, from_id, to_id, mode, max_length)
        return plain(found)  # type: ignore[no-any-return]

    def get_lineage(self, tenant_id: str, node_id: str, direction: str,
                    max_depth: int | None) -> dict[str, Any]:
        return plain(self.graph.lineage(tenant_id, node_id, direction,  # type: ignore[no-any-return]
                                        max_depth))

    def verify_chain(self, tenant_id: str, trace_id: str | None,
                     session_id: str | None) -> dict[str, Any]:
        if (trace_id is None) == (session_id is None):
            raise InvalidInput("trace_id, session_id: give exactly one of them",
                               field="trace_id")
        result = (self.service.verify_trace(tenant_id, trace_id) if trace_id is not None
                  else self.service.verify_session(tenant_id, str(session_id)))
        return plain(result)  # type: ignore[no-any-return]

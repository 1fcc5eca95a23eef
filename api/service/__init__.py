"""The service layer: the one entrance every adapter (GraphQL, bulk HTTP, CLI, and later the
SDK, OTLP, MCP, REST and the web UI) uses to reach storage.

It validates meaning, turns inputs into records, appends them through the storage layer,
publishes what it appended (:mod:`.events`) and answers with its own types (:mod:`.views`
and :mod:`tracegraph.schema.views`). It is the only part of ``tracegraph.api`` that imports
``tracegraph.graph``.
"""

from __future__ import annotations

from .events import EntriesAppended, EventStream
from .graph import GraphService, alternative_parts, step_alternatives
from .held import HeldItems
from .paging import TracePage
from .retention import RetentionReport
from .stores import BACKEND_NAMES, backend_name, open_service
from .traces import SessionReplay, TraceService
from .views import TraceQuery

__all__ = [
    "BACKEND_NAMES",
    "EntriesAppended",
    "EventStream",
    "GraphService",
    "HeldItems",
    "RetentionReport",
    "SessionReplay",
    "TracePage",
    "TraceQuery",
    "TraceService",
    "alternative_parts",
    "backend_name",
    "open_service",
    "step_alternatives",
]

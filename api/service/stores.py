"""Opening a store for the service layer: the backends by name, and the store's lifetime.

Adapters choose a backend by name and options (a data folder, a Neo4j URI, a Dgraph
address) and get a :class:`TraceService`; they never hold the storage layer's objects.
"""

from __future__ import annotations

from typing import Any

from tracegraph.graph.registry import BACKENDS, open_store
from tracegraph.schema.policy import DEFAULT_POLICY, StoragePolicy

from .traces import TraceService

#: The storage backends a service can open, by name.
BACKEND_NAMES: tuple[str, ...] = tuple(sorted(BACKENDS))


def open_service(backend: str, *, policy: StoragePolicy = DEFAULT_POLICY,
                 **options: Any) -> TraceService:
    """A :class:`TraceService` over a newly opened ``backend`` store (close it with
    ``service.close()``); raises the registry's install hint when a driver is missing."""
    return TraceService(open_store(backend, **options), policy)


def backend_name(service: TraceService) -> str:
    """The name of the backend a service stores in (``embedded``, ``neo4j``, ``dgraph``)."""
    return service.store.backend_name

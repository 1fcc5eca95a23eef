"""Backends by name, imported lazily; a missing driver names the extra to install."""

from __future__ import annotations

import importlib
from typing import Any

from tracegraph.schema.errors import BackendUnavailable, InvalidInput

from .protocol import GraphStore

#: name -> (module, class, pip extra whose driver it needs)
BACKENDS: dict[str, tuple[str, str, str | None]] = {
    "embedded": ("tracegraph.graph.embedded", "EmbeddedStore", None),
    "neo4j": ("tracegraph.graph.neo4j", "Neo4jStore", "neo4j"),
    "dgraph": ("tracegraph.graph.dgraph", "DgraphStore", "dgraph"),
}


def open_store(name: str, **options: Any) -> GraphStore:
    """Open the backend called ``name`` with its options.

    >>> import tempfile
    >>> store = open_store("embedded", data_dir=tempfile.mkdtemp())
    >>> store.backend_name
    'embedded'
    """
    try:
        module_name, class_name, extra = BACKENDS[name]
    except KeyError:
        raise InvalidInput(
            f"backend: {name!r} is not one of {', '.join(sorted(BACKENDS))}", field="backend"
        ) from None
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if extra is None or (exc.name or "").startswith("tracegraph"):
            raise
        raise BackendUnavailable(
            f"the {name} backend needs the {exc.name!r} driver: "
            f"pip install 'tracegraph[{extra}]'"
        ) from exc
    store: GraphStore = getattr(module, class_name)(**options)
    return store

"""Storage for tracegraph: the GraphStore protocol, its backends and graph algorithms."""

from .protocol import GraphStore, TraceCursor, TraceFilter, TraceRow
from .registry import BACKENDS, open_store

__all__ = ["BACKENDS", "GraphStore", "TraceCursor", "TraceFilter", "TraceRow", "open_store"]

"""Dgraph backend: chain entries, indexes and graph edges in Dgraph v25 over gRPC (pydgraph)."""

from .store import DgraphStore

__all__ = ["DgraphStore"]

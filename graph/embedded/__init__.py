"""Embedded backend: a durable SQLite journal, no server."""

from .store import EmbeddedStore

__all__ = ["EmbeddedStore"]

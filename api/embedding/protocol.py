"""The embedder protocol and the vector helpers every embedder uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into vectors of :attr:`dimensions` float32 values, each of unit length
    (so a dot product is the cosine similarity)."""

    #: A name that changes when the vectors would (model and its version).
    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One row per text, ``len(texts) x dimensions``, rows of unit length."""
        ...


def unit_rows(matrix: npt.NDArray[np.floating]) -> Vectors:
    """``matrix`` as float32 with each row scaled to unit length (zero rows stay zero)."""
    m = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    out: Vectors = np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)
    return out


"""The embedded store's ANN index of one (tenant, model)'s vectors: usearch's HNSW graph.

Keys are the ``id`` of the vector's row in ``vectors.sqlite3`` (the rows are the source of
truth; the index is derived). Vectors are held as float16 (half the memory of the exact
matrix, which stays beside it): the index only proposes candidates, which the caller scores
exactly in float32, so ranks and scores are exact among the candidates.

The index is saved beside the database (``vectors-ann/<digest>.usearch``, 0600) after it is
built and when the store closes, and restored on the next open. Whatever file is found is
reconciled with the rows (keys not among the live rows removed, live rows missing added), so
a stale file costs time, never a wrong answer; a file that does not load, or whose vectors
differ from the rows under the same ids (a foreign or restored data directory), is rebuilt.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

try:  # (the `semantic` extra; without it the embedded store searches exactly)
    from usearch import index as usearch_index
except ImportError:  # pragma: no cover - the extra is installed in CI
    usearch_index = None  # type: ignore[assignment]

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

#: HNSW links per node ("M") and breadth when inserting ("efConstruction").
CONNECTIVITY = 16
EXPANSION_ADD = 128


def available() -> bool:
    """Whether usearch is installed."""
    return usearch_index is not None


def index_path(folder: Path, tenant_id: str, model: str) -> Path:
    """Where the index of (tenant, model) is saved: names hashed, never taken from input."""
    digest = hashlib.sha256(f"{tenant_id}\0{model}".encode()).hexdigest()[:40]
    return folder / f"{digest}.usearch"


class AnnIndex:
    """An HNSW index (inner product of unit vectors) over keys = vector row ids."""

    def __init__(self, dim: int, index: usearch_index.Index | None = None) -> None:
        self.dim = dim
        self._index = index if index is not None else usearch_index.Index(
            ndim=dim, metric="ip", dtype="f16", connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD)
        #: changes since the last save
        self.dirty = index is None

    def __len__(self) -> int:
        return len(self._index)

    def add(self, keys: I64, vectors: F32, threads: int = 1) -> None:
        if len(keys):
            self._index.add(keys.astype(np.uint64), vectors, threads=threads)
            self.dirty = True

    def remove(self, keys: I64) -> None:
        if len(keys):
            self._index.remove(keys.astype(np.uint64))
            self.dirty = True

    def keys(self) -> I64:
        return np.asarray(self._index.keys, dtype=np.int64)

    def vectors_of(self, keys: I64) -> list[F32 | None]:
        """The stored (float16, widened) vectors of ``keys``, ``None`` where a key is absent."""
        got = self._index.get(keys.astype(np.uint64), dtype="f32")
        return list(got) if isinstance(got, tuple) else [got]

    def search(self, query: F32, count: int) -> I64:
        """Keys of about the ``count`` nearest vectors (usearch searches at least ``count``
        wide: its breadth is ``max(expansion_search, count)``)."""
        count = max(1, min(count, len(self)))
        found = self._index.search(query, count, threads=1)
        return np.asarray(found.keys, dtype=np.int64)

    def save(self, path: Path) -> None:
        """Write the index to ``path`` (0600) through a temporary file and a rename, so a
        reader never sees half a file."""
        path.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        os.close(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
        self._index.save(str(tmp))
        os.replace(tmp, path)
        self.dirty = False

    @classmethod
    def load(cls, path: Path, dim: int) -> AnnIndex | None:
        """The index saved at ``path``, or ``None`` when there is none of this size, or it
        does not load."""
        if usearch_index is None or not path.exists():
            return None
        try:
            index = usearch_index.Index.restore(str(path))
        except (OSError, RuntimeError, ValueError):
            return None
        if index is None or index.ndim != dim:
            return None
        return cls(dim, index)

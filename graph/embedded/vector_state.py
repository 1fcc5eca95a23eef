"""The in-memory side of the embedded store's vectors: one (tenant, model)'s rows as a float32
matrix with their filter columns, and the ANN index beside it once there are enough.

Search (:meth:`VectorState.search`): a filter is applied exactly to the columns first; when
the rows it keeps are fewer than ``ann_min`` (or there is no index yet) the answer is the
exact ranking over them (one matrix-vector product). Otherwise the HNSW index is asked for
the nearest ``count`` candidates (:data:`CANDIDATES` or 4k, divided by the share of rows
the filter keeps), those the filter keeps are scored exactly, and the top k of them is
the answer when at least k are left; else it asks again for 4 times more, and past
:data:`MAX_COUNT` (a selective filter) the answer is exact. Ranks and scores are always the
exact float32 ones of the candidates, ties by step id.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from tracegraph.graph.vectors import VectorFilter, VectorHit

from .ann import AnnIndex

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

#: Candidates asked of the HNSW index for an unfiltered top 10 (also its search breadth).
CANDIDATES = 160
#: Past this many candidates (x4 at each try) the search is exact.
MAX_COUNT = 10_240
#: Filter columns kept beside the vectors.
COLUMNS = ("step_id", "trace_id", "session_id", "agent_id", "step_type", "created_at")


class Grow:
    """An array that grows by doubling, so adding rows copies only the new ones (amortized)."""

    def __init__(self, dtype: npt.DTypeLike) -> None:
        self.buf: npt.NDArray[Any] = np.empty(0, dtype=dtype)
        self.n = 0

    def extend(self, new: npt.NDArray[Any]) -> None:
        need = self.n + len(new)
        wider = np.promote_types(self.buf.dtype, new.dtype)
        if self.n == 0 and self.buf.shape[1:] != new.shape[1:]:
            self.buf = np.empty((0, *new.shape[1:]), dtype=new.dtype)
        if need > len(self.buf) or wider != self.buf.dtype:
            cap = max(need, 2 * len(self.buf), 1024)
            buf = np.empty((cap, *self.buf.shape[1:]), dtype=wider)
            buf[:self.n] = self.buf[:self.n]
            self.buf = buf
        self.buf[self.n:need] = new
        self.n = need

    def view(self) -> npt.NDArray[Any]:
        return self.buf[:self.n]

    def keep(self, rows: Mask) -> None:
        self.buf = self.view()[rows].copy()
        self.n = len(self.buf)


@dataclass
class VectorState:
    """One (tenant, model)'s vectors in memory, rows in ``id`` order (the SQLite rows' ids).

    ``last_id`` / ``last_removal``: how far the rows and the removals were read. Every
    field is guarded by ``lock``."""

    last_id: int = 0
    last_removal: int = 0
    ids: Grow = field(default_factory=lambda: Grow(np.int64))
    vectors: Grow = field(default_factory=lambda: Grow(np.float32))
    alive: Grow = field(default_factory=lambda: Grow(np.bool_))
    columns: dict[str, Grow] = field(default_factory=lambda: {c: Grow(np.str_) for c in COLUMNS})
    dead: int = 0
    index: AnnIndex | None = None
    building: bool = False
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def live(self) -> int:
        return self.ids.n - self.dead

    def clear(self) -> None:
        """Drop every row and the index: the rows are read again from the first (the
        removals this state missed are no longer logged)."""
        self.last_id = self.last_removal = 0
        self.ids, self.vectors, self.alive = Grow(np.int64), Grow(np.float32), Grow(np.bool_)
        self.columns = {c: Grow(np.str_) for c in COLUMNS}
        self.dead = 0
        self.index = None

    def add_rows(self, ids: I64, vectors: F32, columns: Mapping[str, Sequence[str]]) -> None:
        """Append rows read from the database (ids above every id held)."""
        self.ids.extend(ids)
        self.vectors.extend(vectors)
        self.alive.extend(np.ones(len(ids), dtype=np.bool_))
        for name in COLUMNS:
            self.columns[name].extend(np.array(columns[name], dtype=np.str_))
        if self.index is not None:
            self.index.add(ids, vectors)

    def remove_ids(self, gone: I64) -> None:
        """Drop the rows with these ids (removed from the database); compact past a quarter
        of dead rows."""
        ids = self.ids.view()
        pos = positions(ids, gone)
        alive = self.alive.view()
        pos = pos[alive[pos]]
        alive[pos] = False
        self.dead += len(pos)
        if self.index is not None:
            self.index.remove(ids[pos])
        if self.dead > max(1024, self.ids.n // 4):
            rows = alive.copy()
            for g in (self.ids, self.vectors, self.alive, *self.columns.values()):
                g.keep(rows)
            self.dead = 0

    def live_rows(self) -> tuple[I64, F32]:
        """Ids and vectors of the live rows (copies)."""
        alive = self.alive.view()
        return self.ids.view()[alive].copy(), self.vectors.view()[alive]

    def agrees(self, index: AnnIndex, sample: int = 64) -> bool:
        """Whether ``index`` holds the rows' vectors under their ids (checked on up to
        ``sample`` ids spread over the live rows it has; float16 tolerance)."""
        ids, alive = self.ids.view(), self.alive.view()
        common = np.intersect1d(ids[alive], index.keys(), assume_unique=True)
        if len(common) == 0:
            return len(index) == 0
        keys = common[np.linspace(0, len(common) - 1, min(sample, len(common))).astype(int)]
        mine = self.vectors.view()[np.searchsorted(ids, keys)]
        theirs = index.vectors_of(keys)
        return all(t is not None and float(np.max(np.abs(t - v))) < 1e-2
                   for t, v in zip(theirs, mine, strict=True))

    def reconcile(self, index: AnnIndex) -> None:
        """Bring ``index`` to exactly the live rows: add those it lacks, remove the rest."""
        has = index.keys()
        ids, alive = self.ids.view(), self.alive.view()
        live = ids[alive]
        index.remove(np.setdiff1d(has, live))
        missing = np.setdiff1d(live, has)
        if len(missing):
            index.add(missing, self.vectors.view()[np.searchsorted(ids, missing)])

    def search(self, query: F32, k: int, flt: VectorFilter, ann_min: int) -> list[VectorHit]:
        """The ``k`` best rows ``flt`` keeps (see the module's docstring)."""
        n = self.ids.n
        if n == 0 or k <= 0:
            return []
        keep = _mask({c: g.view() for c, g in self.columns.items()}, flt)
        if self.dead:
            keep = self.alive.view() if keep is None else keep & self.alive.view()
        kept = n if keep is None else int(np.count_nonzero(keep))
        if kept == 0:
            return []
        if self.index is not None and kept >= ann_min and k * 8 < kept:
            rows = self._ann_rows(query, k, keep, kept)
            if rows is not None:
                return self._ranked(rows, self.vectors.view()[rows] @ query, k)
        if keep is None or kept > n // 2:
            scores = self.vectors.view() @ query
            rows = np.arange(n) if keep is None else np.flatnonzero(keep)
            return self._ranked(rows, scores[rows] if keep is not None else scores, k)
        rows = np.flatnonzero(keep)
        return self._ranked(rows, self.vectors.view()[rows] @ query, k)

    def _ann_rows(self, query: F32, k: int, keep: Mask | None, kept: int) -> I64 | None:
        """Rows of the index's candidates that ``keep`` keeps, at least ``k`` of them, or
        ``None`` when the filter is too selective for the index."""
        assert self.index is not None
        ids = self.ids.view()
        share = kept / max(1, len(self.index))
        count = math.ceil(max(CANDIDATES, 4 * k) / min(1.0, share))
        while count <= MAX_COUNT:
            pos = positions(ids, self.index.search(query, count))
            if keep is not None:
                pos = pos[keep[pos]]
            if len(pos) >= k:
                return pos
            count *= 4
        return None

    def _ranked(self, rows: I64, scores: F32, k: int) -> list[VectorHit]:
        """Hits of the ``k`` best of ``rows`` (``scores`` aligned with them), ties by id."""
        top = min(k, len(rows))
        best = np.argpartition(-scores, top - 1)[:top] if top < len(rows) else \
            np.arange(len(rows))
        step_ids, trace_ids = self.columns["step_id"].view(), self.columns["trace_id"].view()
        ranked = sorted(best.tolist(), key=lambda i: (-float(scores[i]), str(step_ids[rows[i]])))
        return [VectorHit(str(step_ids[rows[i]]), str(trace_ids[rows[i]]), float(scores[i]))
                for i in ranked]


def positions(ids: I64, keys: I64) -> I64:
    """Positions in the sorted ``ids`` of those ``keys`` that are there."""
    if len(ids) == 0 or len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    pos = np.minimum(np.searchsorted(ids, keys), len(ids) - 1)
    found: I64 = pos[ids[pos] == keys].astype(np.int64)
    return found


def _mask(cols: Mapping[str, npt.NDArray[Any]], flt: VectorFilter) -> Mask | None:
    """Rows ``flt`` keeps, or ``None`` when it keeps every row."""
    keep: Mask | None = None

    def both(more: Mask) -> None:
        nonlocal keep
        keep = more if keep is None else keep & more

    if flt.step_types:
        both(np.isin(cols["step_type"], list(flt.step_types)))
    for name, value in (("agent_id", flt.agent_id), ("session_id", flt.session_id),
                        ("trace_id", flt.trace_id)):
        if value is not None:
            both(cols[name] == value)
    if flt.exclude_trace_id is not None:
        both(cols["trace_id"] != flt.exclude_trace_id)
    if flt.created_after is not None:
        both(cols["created_at"] >= flt.created_after)
    if flt.created_before is not None:
        both(cols["created_at"] <= flt.created_before)
    return keep

"""The embedded store's vector search with its HNSW index (graph/embedded/vectors.py, ann.py).

The index is switched on from a low ``ann_min`` here (the store's default is 10,000) and
built in the search that first needs it, so these sets exercise the ANN path: its answers
agree with the exact ranking, removals (retention) never come back, a reopened store loads
the saved index and answers the same, and a tenant sees only its own vectors.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.retention import apply_retention
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.graph.embedded import ann as ann_module
from tracegraph.graph.embedded.vectors import EmbeddedVectors
from tracegraph.graph.vectors import StepVector, VectorFilter
from tracegraph.schema.inputs import CompleteTraceInput, StartTraceInput, StepInput

pytestmark = pytest.mark.skipif(not ann_module.available(),
                                reason="usearch (the `semantic` extra) is not installed")

DIM = 64
TYPES = ["Decision", "Reasoning", "Observation", "Action"]


def clustered(n: int, seed: int, centers: int = 40) -> np.ndarray:
    """``n`` unit vectors around ``centers`` random directions (embeddings cluster by topic;
    uniform random vectors would be the case no ANN index handles)."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centers, DIM)).astype(np.float32)
    m = c[rng.integers(0, centers, n)] + 0.9 * rng.standard_normal((n, DIM)).astype(
        np.float32)
    return (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)


def rows_of(m: np.ndarray, prefix: str = "s") -> list[StepVector]:
    return [StepVector(step_id=f"{prefix}{i:05d}", trace_id=f"t{i // 20}", session_id="sess",
                       agent_id=f"a{i % 3}", step_type=TYPES[i % 4], step_index=i % 20,
                       created_at=f"2026-01-01T00:{i // 3600 % 60:02d}:{i // 60 % 60:02d}."
                                  f"{i % 60:06d}Z", vector=v.tolist())
            for i, v in enumerate(m)]


def exact_top(m: np.ndarray, q: np.ndarray, k: int, keep: np.ndarray | None = None
              ) -> list[int]:
    s = m @ q
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    return [int(i) for i in np.argsort(-s, kind="stable")[:k]]


@pytest.fixture
def vectors(tmp_path: Path) -> EmbeddedVectors:
    return EmbeddedVectors(tmp_path, ann_min=1000, background=False)


def test_index_agrees_with_exact_search(vectors: EmbeddedVectors) -> None:
    m = clustered(6000, seed=11)
    rows = rows_of(m)
    for start in range(0, len(rows), 1500):
        vectors.put_vectors("t1", "m", rows[start:start + 1500])
    qs = clustered(100, seed=12)
    found = 0
    for q in qs:
        hits = vectors.search_vectors("t1", "m", q.tolist(), 10, VectorFilter())
        found += len({h.step_id for h in hits} & {rows[i].step_id for i in exact_top(m, q, 10)})
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert all(abs(h.score - float(m[int(h.step_id[1:])] @ q)) < 1e-5 for h in hits)
    assert vectors.state("t1", "m").index is not None  # (the answers came from the index)
    assert len(vectors.state("t1", "m").index or []) == 6000
    assert found / (10 * len(qs)) >= 0.95
    # a broad filter goes through the index too; a selective one is exact
    decisions = np.array([r.step_type == "Decision" for r in rows])
    for flt, keep in ((VectorFilter(step_types=("Decision", "Action")),
                       np.array([r.step_type in ("Decision", "Action") for r in rows])),
                      (VectorFilter(step_types=("Decision",), agent_id="a1"),
                       decisions & np.array([r.agent_id == "a1" for r in rows]))):
        got = vectors.search_vectors("t1", "m", qs[0].tolist(), 10, flt)
        assert {h.step_id for h in got} <= {r.step_id for r, k in zip(rows, keep, strict=True) if k}
        want = [rows[i].step_id for i in exact_top(m, qs[0], 10, keep)]
        assert len({h.step_id for h in got} & set(want)) >= 9


def test_removed_traces_never_come_back(tmp_path: Path, vectors: EmbeddedVectors) -> None:
    m = clustered(3000, seed=5)
    rows = rows_of(m)
    vectors.put_vectors("t1", "m", rows)
    q = m[42]
    assert vectors.search_vectors("t1", "m", q.tolist(), 1, VectorFilter())[0].step_id == \
        "s00042"
    other = EmbeddedVectors(tmp_path, ann_min=1000, background=False)  # (another process)
    other.search_vectors("t1", "m", q.tolist(), 10, VectorFilter())
    vectors.remove_traces([("t1", "t2")])  # s00040..s00059
    for store in (vectors, other):
        hits = store.search_vectors("t1", "m", q.tolist(), 50, VectorFilter())
        assert all(h.trace_id != "t2" for h in hits) and len(hits) == 50
        assert store.search_vectors("t1", "m", q.tolist(), 5, VectorFilter(trace_id="t2")) == []
        state = store.state("t1", "m")
        assert state.index is not None and len(state.index) == 2980
    # new rows after the removal get new ids (never one a removed row had)
    vectors.put_vectors("t1", "m", rows_of(m[:5], prefix="new"))
    assert vectors.search_vectors("t1", "m", m[0].tolist(), 2, VectorFilter()
                                  )[0].step_id in {"s00000", "new00000"}
    other.close()
    vectors.close()
    again = EmbeddedVectors(tmp_path, ann_min=1000, background=False)
    assert all(h.trace_id != "t2" for h in again.search_vectors(
        "t1", "m", q.tolist(), 100, VectorFilter()))
    again.close()


def test_reopen_loads_the_saved_index_and_answers_the_same(tmp_path: Path,
                                                           vectors: EmbeddedVectors) -> None:
    m = clustered(4000, seed=8)
    vectors.put_vectors("t1", "m", rows_of(m))
    qs = clustered(20, seed=9)
    before = [vectors.search_vectors("t1", "m", q.tolist(), 10, VectorFilter()) for q in qs]
    vectors.close()
    saved = list((tmp_path / "vectors-ann").glob("*.usearch"))
    assert len(saved) == 1
    built = saved[0].stat().st_mtime_ns
    again = EmbeddedVectors(tmp_path, ann_min=1000, background=False)
    after = [again.search_vectors("t1", "m", q.tolist(), 10, VectorFilter()) for q in qs]
    assert after == before
    assert saved[0].stat().st_mtime_ns == built  # (loaded, not rebuilt and saved again)
    # rows added while the store was closed are caught up in the loaded index
    again.close()
    third = EmbeddedVectors(tmp_path, ann_min=1000, background=False)
    third.put_vectors("t1", "m", rows_of(clustered(10, seed=10), prefix="late"))
    state = third.state("t1", "m")
    assert state.index is not None and len(state.index) == 4010
    third.close()


def test_a_foreign_index_file_is_rebuilt(tmp_path: Path) -> None:
    """An index file whose ids hold other vectors (another data directory's) is not used."""
    mine, theirs = tmp_path / "mine", tmp_path / "theirs"
    qs = clustered(20, seed=9)
    answers = []
    for folder, seed in ((mine, 8), (theirs, 21)):
        folder.mkdir()
        v = EmbeddedVectors(folder, ann_min=1000, background=False)
        v.put_vectors("t1", "m", rows_of(clustered(3000, seed=seed)))
        answers.append([v.search_vectors("t1", "m", q.tolist(), 10, VectorFilter())
                        for q in qs])
        v.close()
    (name,) = [f.name for f in (theirs / "vectors-ann").iterdir()]
    (mine / "vectors-ann" / name).write_bytes((theirs / "vectors-ann" / name).read_bytes())
    again = EmbeddedVectors(mine, ann_min=1000, background=False)
    got = [again.search_vectors("t1", "m", q.tolist(), 10, VectorFilter()) for q in qs]
    again.close()
    # (a rebuilt HNSW graph may differ in a rare neighbour: compare sets, not lists)
    same = sum(len({h.step_id for h in a} & {h.step_id for h in b})
               for a, b in zip(got, answers[0], strict=True))
    assert same >= 0.95 * 10 * len(qs)
    assert (mine / "vectors-ann" / name).read_bytes() != \
        (theirs / "vectors-ann" / name).read_bytes()


def test_a_tenant_never_sees_another_tenants_vectors(vectors: EmbeddedVectors) -> None:
    a, b = clustered(2000, seed=1), clustered(2000, seed=1)  # (the same vectors)
    vectors.put_vectors("ta", "m", rows_of(a, prefix="a"))
    vectors.put_vectors("tb", "m", rows_of(b, prefix="b"))
    for q in clustered(10, seed=2):
        assert {h.step_id[0] for h in vectors.search_vectors(
            "ta", "m", q.tolist(), 20, VectorFilter())} == {"a"}
        assert {h.step_id[0] for h in vectors.search_vectors(
            "tb", "m", q.tolist(), 20, VectorFilter())} == {"b"}
    assert vectors.search_vectors("tc", "m", a[0].tolist(), 5, VectorFilter()) == []
    assert vectors.search_vectors("ta", "other", a[0].tolist(), 5, VectorFilter()) == []


def test_retention_removes_a_traces_vectors_from_the_store(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    svc = TraceService(store)
    traces = []
    for at in (datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC)):
        t = svc.start_trace("t1", StartTraceInput(session_id="s", created_at=at))
        steps = svc.record_steps("t1", t.trace_id, [StepInput(step_type="Decision",
                                                              content="x")])
        svc.complete_trace("t1", t.trace_id, CompleteTraceInput(outcome="success"))
        traces.append((t.trace_id, steps[0].step_id))
    m = clustered(2, seed=3)
    store.put_vectors("t1", "m", [StepVector(step_id=s, trace_id=t, session_id="s",
                                             agent_id=None, step_type="Decision", step_index=0,
                                             created_at="2026-01-01T00:00:00.000000Z",
                                             vector=v.tolist())
                                  for (t, s), v in zip(traces, m, strict=True)])
    (gone, gone_step), (_, kept_step) = traces
    assert len(store.search_vectors("t1", "m", m[0].tolist(), 10, VectorFilter())) == 2
    report = apply_retention(store, "t1", 30)
    assert [r.trace_id for r in report.removed] == [gone]
    hits = store.search_vectors("t1", "m", m[0].tolist(), 10, VectorFilter())
    assert [h.step_id for h in hits] == [kept_step]
    assert store.vector_ids("t1", "m", [gone_step, kept_step]) == {kept_step}
    store.close()
    # a crash between the journal's commit and the vectors' removal: reopening removes them
    again = EmbeddedStore(tmp_path)
    again.close()
    vectors = EmbeddedVectors(tmp_path)
    vectors.put_vectors("t1", "m", [StepVector(step_id=gone_step, trace_id=gone,
                                               session_id="s", agent_id=None,
                                               step_type="Decision", step_index=0,
                                               created_at="2026-01-01T00:00:00.000000Z",
                                               vector=m[0].tolist())])
    vectors.close()
    again = EmbeddedStore(tmp_path)
    assert [h.step_id for h in again.search_vectors(
        "t1", "m", m[0].tolist(), 10, VectorFilter())] == [kept_step]
    again.close()


def test_a_first_version_file_is_migrated_in_order(tmp_path: Path) -> None:
    """Files of the first version have no ``id`` column: their rows are copied in order."""
    import sqlite3

    db = sqlite3.connect(tmp_path / "vectors.sqlite3")
    db.execute("""CREATE TABLE step_vectors (
        tenant_id TEXT NOT NULL, model TEXT NOT NULL, step_id TEXT NOT NULL,
        trace_id TEXT NOT NULL, session_id TEXT NOT NULL, agent_id TEXT,
        step_type TEXT NOT NULL, step_index INTEGER NOT NULL, created_at TEXT NOT NULL,
        vector BLOB NOT NULL, PRIMARY KEY (tenant_id, model, step_id))""")
    db.execute("""CREATE INDEX step_vectors_trace
        ON step_vectors (tenant_id, model, trace_id, step_index)""")
    m = clustered(3, seed=4)
    db.executemany("INSERT INTO step_vectors VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("t1", "m", f"z{2 - i}", "tr", "s", None, "Decision", i, "2026-01-01T00:00:00Z",
         v.astype("<f4").tobytes()) for i, v in enumerate(m)])
    db.commit()
    db.close()
    vectors = EmbeddedVectors(tmp_path)
    hits = vectors.search_vectors("t1", "m", m[1].tolist(), 3, VectorFilter())
    assert hits[0].step_id == "z1" and len(hits) == 3
    assert vectors.state("t1", "m").ids.view().tolist() == [1, 2, 3]
    assert vectors.trace_vectors("t1", "m", ["tr"])["tr"][0][1] == "z2"
    vectors.close()


def test_the_removal_log_is_pruned_and_a_state_behind_it_reloads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Removals log the ids they delete for other processes' in-memory states; the log keeps
    its newest ``KEEP_REMOVALS`` rows. A state that last caught up before the rows pruned
    reads its rows again (and answers no removed vector); a new state reads no log row."""
    from tracegraph.graph.embedded import vectors as vectors_module

    monkeypatch.setattr(vectors_module, "KEEP_REMOVALS", 40)
    monkeypatch.setattr(vectors_module, "PRUNE_EVERY", 20)
    m = clustered(3000, seed=7)
    writer = EmbeddedVectors(tmp_path, ann_min=1000, background=False)
    writer.put_vectors("t1", "m", rows_of(m))
    behind = EmbeddedVectors(tmp_path, ann_min=1000, background=False)  # (another process)
    assert len(behind.search_vectors("t1", "m", m[0].tolist(), 10, VectorFilter())) == 10
    kept = EmbeddedVectors(tmp_path, ann_min=1000, background=False)  # (keeps up)
    kept_rows = kept.state("t1", "m").ids
    for t in range(10):  # 20 vectors a trace: 200 log rows
        writer.remove_traces([("t1", f"t{t}")])
        kept.search_vectors("t1", "m", m[0].tolist(), 1, VectorFilter())
    db = writer._conn()
    assert db.execute("SELECT count(*), min(seq) FROM removed_vectors").fetchone() == (40, 161)
    assert db.execute("SELECT through FROM removed_vectors_pruned").fetchone() == (160,)
    assert kept.state("t1", "m").ids is kept_rows  # (it kept up: never reloaded)
    gone = {f"t{t}" for t in range(10)}
    for store in (behind, kept):
        hits = store.search_vectors("t1", "m", m[0].tolist(), 100, VectorFilter())
        assert len(hits) == 100 and not {h.trace_id for h in hits} & gone
        state = store.state("t1", "m")
        assert state.live == 2800 and state.index is not None and len(state.index) == 2800
    statements: list[str] = []
    fresh = EmbeddedVectors(tmp_path, ann_min=1000, background=False)
    fresh._conn().set_trace_callback(statements.append)
    hits = fresh.search_vectors("t1", "m", m[0].tolist(), 100, VectorFilter())
    assert len(hits) == 100 and not {h.trace_id for h in hits} & gone
    assert statements and not [s for s in statements if "vector_id FROM removed_vectors" in s]
    for v in (writer, behind, kept, fresh):
        v.close()

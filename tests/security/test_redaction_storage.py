"""No planted secret reaches the raw files of any backend: SQLite and its WAL, Neo4j's store
and transaction files, Dgraph's p/ (postings) and w/ (WAL) directories.

The whole corpus (:mod:`.corpus.planted`) goes in through the service layer, in every kind
of field, into a fresh tenant of each backend; then every file the backend wrote since is
read byte by byte. Neo4j writes each commit to its transaction log at once and to its
store files at the next checkpoint (its community edition has no procedure to force one).
The shared servers' folders hold other tenants' data too, which does not matter: the
planted secrets exist nowhere else. Without redaction the same scan finds them.
"""

from __future__ import annotations

import importlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ahocorasick_rs import BytesAhoCorasick
from tracegraph.api.service import TraceService
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.policy import StoragePolicy
from tracegraph.schema.redaction import REDACTED, Redactor

from ..conformance.harness import Harness
from .corpus.planted import Planted, make_planted
from .test_redaction_corpus import KNOWN_MISSES

CACHE = Path(os.environ.get("TRACEGRAPH_CACHE", Path.home() / ".cache" / "tracegraph"))
#: This run's own secrets (the shared servers keep what earlier runs wrote).
PLANTED, LITERALS = make_planted(secrets.randbits(64))
CHECKED = [p for p in PLANTED if not p.carrier.startswith(tuple(KNOWN_MISSES))]
#: Bare tokens cut in their middle across two text fields of one step: (first, second half).
CUT = [(p.secret[:len(p.secret) // 2], p.secret[len(p.secret) // 2:])
       for p in CHECKED if p.bare and p.kind != "configured literal"]


def _data_dirs(harness: Harness) -> list[Path]:
    """Where the backend keeps its files (see scripts/neo4j and scripts/dgraph)."""
    if harness.name == "embedded":
        return [Path(harness.data_dir)]  # type: ignore[attr-defined]
    if harness.name == "neo4j":
        port = os.environ.get("NEO4J_BOLT_PORT", "7687")
        return [CACHE / "neo4j" / f"port-{port}" / "data"]
    port = os.environ.get("DGRAPH_GRPC_PORT", "9080")
    data = CACHE / "dgraph" / ("data" if port == "9080" else f"data-port-{port}")
    return [data / "p", data / "w"]


@pytest.fixture(scope="module", params=["embedded", "neo4j", "dgraph"])
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Harness]:
    module = importlib.import_module(f"tests.conformance.backends.{request.param}")
    h: Harness = module.make_harness(tmp_path_factory)
    yield h
    h.close()


def _short(p: Planted, limit: int) -> str | None:
    if len(p.carrier.encode()) <= limit:
        return p.carrier
    return p.secret if p.bare and len(p.secret) <= limit else None


def test_the_run_has_its_own_secrets() -> None:
    assert len(CHECKED) >= 200
    assert not {p.secret for p in CHECKED} & {p.secret for p in make_planted(20261204)[0]}


def _ingest(service: TraceService, tenant: str) -> None:
    """The corpus in every kind of field a record stores."""
    blob = "\n".join(p.carrier for p in CHECKED)
    trace = service.start_trace(tenant, StartTraceInput(
        goal=blob, actor_urn=_short(CHECKED[0], 512), metadata={"notes": blob}))
    tid = trace.trace_id
    steps = service.record_steps(tenant, tid, [
        StepInput(step_type="ToolCall", content=p.carrier,
                  input_data=p.payload if p.payload is not None else {"arg": p.carrier},
                  output_data=[p.carrier, {"headers": [["X-Debug", p.carrier]]}],
                  input_summary=_short(p, 4096), alternatives_considered=[
                      s for s in (_short(p, 4096),) if s is not None],
                  model_id=_short(p, 256), metadata={"note": p.carrier})
        for p in CHECKED])
    service.record_api_calls(tenant, tid, [
        ApiCallInput(step_id=steps[0].step_id, api_type=_short(p, 64) or "llm",
                     endpoint=_short(p, 4096), error=p.carrier)
        for p in CHECKED])
    for p in CHECKED[:40]:
        service.record_human_input(tenant, tid, HumanInputInput(
            question=p.carrier, answer=p.carrier, answered_by=_short(p, 256)))
    service.record_steps(tenant, tid, [
        StepInput(step_type="Observation", content=f"see {head}", input_summary=f"{tail} ok")
        for head, tail in CUT])
    service.complete_trace(tenant, tid, CompleteTraceInput(
        outcome="failure", final_answer=blob, error_details=blob))
    assert service.verify_trace(tenant, tid).valid


def _scan(dirs: list[Path], since: float, needles: list[bytes]) -> tuple[set[bytes], bool, int]:
    """The needles found in files modified since ``since``, whether REDACTED was seen, and
    how many bytes were read."""
    automaton = BytesAhoCorasick([*needles, REDACTED.encode()])
    found: set[int] = set()
    read = 0
    overlap = max(len(n) for n in needles)
    for d in dirs:
        for path in d.rglob("*"):
            try:
                if not path.is_file() or path.stat().st_mtime < since:
                    continue
                with path.open("rb") as f:
                    tail = b""
                    while chunk := f.read(1 << 24):
                        buf = tail + chunk
                        found.update(i for i, _, _ in automaton.find_matches_as_indexes(
                            buf, overlapping=True))
                        tail = buf[-overlap:]
                        read += len(chunk)
            except (FileNotFoundError, PermissionError):
                continue  # a file the server removed (or holds) while we looked
    hits = {needles[i] for i in found if i < len(needles)}
    return hits, len(needles) in found, read


def test_no_planted_secret_in_the_raw_files(harness: Harness) -> None:
    since = time.time() - 2  # (file times may be coarse)
    store = harness.open()
    service = TraceService(store, StoragePolicy(redactor=Redactor(literals=LITERALS)))
    _ingest(service, harness.new_tenant())
    needles = sorted({n.encode() for p in CHECKED for n in p.needles}
                     | {half.encode() for cut in CUT for half in cut})
    dirs = _data_dirs(harness)
    hits, saw_marker, read = _scan(dirs, since, needles)
    print(f"\n{harness.name}: {read:,} bytes of {', '.join(map(str, dirs))} searched for "
          f"{len(needles)} secrets: {len(hits)} found")
    assert read > 0
    assert saw_marker, "the redacted data is not in the files searched"
    assert sorted(hits) == []
    if harness.name == "embedded":  # and once the WAL is checkpointed into the database
        harness.restart()
        hits, saw_marker, _ = _scan(dirs, since, needles)
        assert saw_marker and sorted(hits) == []

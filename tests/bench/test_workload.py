"""The benchmark workload is deterministic, valid and stored intact (a run through the service
layer verifies, and no secret of it reaches the database); ``tracegraph bench`` is wired."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from tracegraph.api.cli import main
from tracegraph.api.service import TraceService
from tracegraph.bench.timed_ingest import apply, ndjson, run_entries
from tracegraph.bench.workload import STEPS_PER_RUN, as_inputs, make_run
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.redaction import REDACTED


def test_runs_are_deterministic() -> None:
    assert ndjson(make_run(3)) == ndjson(make_run(3))
    assert ndjson(make_run(3)) != ndjson(make_run(4))
    assert ndjson(make_run(3, seed=1)) != ndjson(make_run(3))
    assert make_run(3).steps == STEPS_PER_RUN == 700


def test_depends_on_names_earlier_steps_only() -> None:
    seen: set[str] = set()
    for op in make_run(5).ops:
        for step in op.body.get("steps", []):
            assert set(step.get("dependsOn", [])) <= seen
            seen.add(step["stepId"])


def test_a_run_is_stored_intact_and_without_its_secrets(tmp_path: Path) -> None:
    run = next(r for r in map(make_run, range(40)) if b"sk-proj-" in ndjson(r))
    store = EmbeddedStore(tmp_path)
    try:
        service = TraceService(store)
        for op in as_inputs(run):
            apply(service, "t", op)
        root = service.get_trace("t", run.root_id)
        assert root is not None and root.status == "completed"
        result = service.verify_session("t", root.session_id)
        assert result.valid and result.traces_checked == 5
        assert result.entries_checked == run_entries(run)
        steps = service.replay_session("t", root.session_id)
        assert steps is not None and len(steps.steps) == STEPS_PER_RUN
        assert any(REDACTED in (s.content or "") for s in steps.steps)
    finally:
        store.close()
    assert b"sk-proj-" not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


def test_bench_command_is_wired() -> None:
    result = CliRunner().invoke(main, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    assert "--steps" in result.output and "1000000" in result.output

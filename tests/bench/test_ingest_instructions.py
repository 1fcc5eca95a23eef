"""bench/ingest_instructions.py ingests the workload (with and without the log) outside
callgrind too, where turning instrumentation on and off does nothing."""

from __future__ import annotations

from click.testing import CliRunner
from tracegraph.bench.ingest_instructions import main


def test_it_ingests_with_and_without_the_log() -> None:
    with_log = CliRunner().invoke(main, ["--runs", "1"])
    assert with_log.exit_code == 0, with_log.output
    assert "ingested 700 steps in process; log leaves: 7" in with_log.output
    without = CliRunner().invoke(main, ["--runs", "1", "--no-log"])
    assert without.exit_code == 0, without.output
    assert "log leaves: 0" in without.output

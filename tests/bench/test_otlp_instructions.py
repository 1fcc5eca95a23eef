"""bench/otlp_instructions.py decodes and ingests the OTLP bench's requests in process
outside callgrind too, where turning instrumentation on and off does nothing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from tracegraph.bench.otlp_instructions import main


def test_it_ingests_every_span_and_decodes_alone(tmp_path: Path) -> None:
    profile = tmp_path / "otlp.prof"
    done = CliRunner().invoke(main, ["--runs", "1", "--agents", "3", "--spans-per-agent", "10",
                                     "--batch", "8", "--profile", str(profile)])
    assert done.exit_code == 0, done.output
    assert "33 spans in 5 requests (ingested; rejected 0, still held 0)" in done.output
    assert profile.stat().st_size > 0
    decoded = CliRunner().invoke(main, ["--runs", "1", "--decode-only"])
    assert decoded.exit_code == 0, decoded.output
    assert "707 spans in 2 requests (decoded only" in decoded.output

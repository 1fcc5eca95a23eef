"""bench/ingest_stages.py prints every stage of a step's ingest with a positive cost."""

from __future__ import annotations

import re

from click.testing import CliRunner
from tracegraph.bench import ingest_stages


def test_every_stage_is_timed() -> None:
    result = CliRunner().invoke(ingest_stages.main, ["--runs", "1", "--rounds", "3"])
    assert result.exit_code == 0, result.output
    out = result.output
    for stage in ("validate", "record", "seal", "store (append - seal)", "view",
                  "record_steps"):
        row = next(line for line in out.splitlines() if line.startswith(stage + " "))
        us = float(re.split(r"\s{2,}", row.strip())[1])
        assert us > 0, row

"""bench/log_store.py prints every figure of the stored log, each proof verified."""

from __future__ import annotations

from click.testing import CliRunner
from tracegraph.bench.log_store import main


def test_the_stored_log_bench_prints_its_figures_and_proves_a_trace() -> None:
    done = CliRunner().invoke(main, ["--leaves", "3000", "--samples", "5"])
    assert done.exit_code == 0, done.output
    for figure in ("log of 3,000 leaves", "first checkpoint", "inclusion proof from the store",
                   "consistency proof", "500-entry trace proved at once", "valid=True",
                   "next checkpoint"):
        assert figure in done.output, done.output

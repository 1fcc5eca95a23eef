"""Where a step's ingest time goes: each stage of ``record_steps`` timed alone, as a table.

A measuring script, not a test::

    .venv/bin/python bench/ingest_stages.py            # the benchmark workload's steps
    .venv/bin/python bench/ingest_stages.py --runs 4 --rounds 7

The steps are those of ``tracegraph bench`` (:mod:`tracegraph.bench.workload`), in its
batches of 500. Each stage runs on the output of the one before, ``--rounds`` times; the
table gives the best round (the least disturbed by other work on the machine) in
microseconds of CPU per step, and the steps per second that stage alone would allow:

* **validate**: pydantic ``StepInput`` from the wire dicts (the HTTP paths pay it; the
  in-process figure of ``tracegraph bench`` does not);
* **record**: ``schema.records.step_record``: redaction, truncation, the stored record;
* **seal**: ``schema.chain.seal_encoded``: RFC 8785 bytes and SHA-256, entry by entry;
* **store**: ``EmbeddedStore.append`` of the records minus its sealing: the chain head,
  the entry, node and edge rows with their indexes, the commit;
* **view**: ``StepView`` of each sealed entry (what ``record_steps`` returns);
* **record_steps**: the whole service call, end to end (checks included).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema import records
from tracegraph.schema.chain import GENESIS_PREV_HASH, seal_encoded
from tracegraph.schema.inputs import StartTraceInput, StepInput
from tracegraph.schema.views import StepView

from .workload import make_run

TENANT = "stages"


def best_cpu(fn: Callable[[int], Any], rounds: int) -> float:
    """Least CPU seconds of ``rounds`` calls of ``fn(round)``."""
    best = float("inf")
    for r in range(rounds):
        c0 = time.process_time()
        fn(r)
        best = min(best, time.process_time() - c0)
    return best


def batches(runs: int) -> list[list[dict[str, Any]]]:
    """The workload's ``record_steps`` batches (wire dicts) of ``runs`` runs."""
    return [op.body["steps"] for i in range(runs) for op in make_run(i, namespace="st").ops
            if op.kind == "record_steps"]


@click.command(help=__doc__.splitlines()[0] if __doc__ else None)
@click.option("--runs", type=click.IntRange(1), default=3, show_default=True,
              help="workload runs (700 steps each)")
@click.option("--rounds", type=click.IntRange(1), default=5, show_default=True)
def main(runs: int, rounds: int) -> int:
    wire = batches(runs)
    steps = sum(len(b) for b in wire)
    models = [[StepInput.model_validate(d) for d in b] for b in wire]
    # dependsOn is checked by the service; the stages below take records as they are
    recs = [[records.step_record(s, step_id=s.step_id or "x") for s in b] for b in models]
    items = [[("step", {**r, "step_index": i}) for i, r in enumerate(b)] for b in recs]
    sealed = [seal_encoded(TENANT, "t", 1, GENESIS_PREV_HASH, b) for b in items]
    unviewed = [[[dataclasses.replace(e) for e, _ in b] for b in sealed]
                for _ in range(rounds)]
    with tempfile.TemporaryDirectory(prefix="tg-stages-") as tmp:
        store = EmbeddedStore(Path(tmp))
        service = TraceService(store)

        def fresh_trace(tag: str) -> str:
            return service.start_trace(TENANT, StartTraceInput(trace_id=tag)).trace_id

        def append(r: int) -> None:
            trace = fresh_trace(f"append-{r}")
            for k, b in enumerate(items):  # ids made unique per round
                store.append(TENANT, trace, [
                    (kind, {**rec, "step_id": f"{r}-{k}-{rec['step_id']}",
                            "depends_on": []}) for kind, rec in b])

        def record_steps(r: int) -> None:
            for k, b in enumerate(models):
                service.record_steps(TENANT, fresh_trace(f"svc-{r}-{k}"), [
                    s.model_copy(update={"step_id": f"svc-{r}-{s.step_id}", "depends_on": []})
                    for s in b])

        stages = {
            "validate": best_cpu(lambda _: [[StepInput.model_validate(d) for d in b]
                                            for b in wire], rounds),
            "record": best_cpu(lambda _: [[records.step_record(s, step_id="x") for s in b]
                                          for b in models], rounds),
            "seal": best_cpu(lambda _: [seal_encoded(TENANT, "t", 1, GENESIS_PREV_HASH, b)
                                        for b in items], rounds),
            "append (seal + store)": best_cpu(append, rounds),
            # fresh entries each round: an entry keeps the view built from it
            "view": best_cpu(lambda r: [[StepView.from_entry(e) for e in b]
                                        for b in unviewed[r]], rounds),
            "record_steps": best_cpu(record_steps, rounds),
        }
        store.close()
    stages["store (append - seal)"] = stages["append (seal + store)"] - stages["seal"]
    print(f"ingest stages: {steps:,} steps of the benchmark workload, best of {rounds} "
          f"rounds, CPU time; load average {os.getloadavg()[0]:.1f}")
    print(f"{'stage':<24}{'us/step':>9}{'steps/s alone':>15}")
    order = ["validate", "record", "seal", "store (append - seal)", "view", "record_steps"]
    for name in order:
        us = 1e6 * stages[name] / steps
        print(f"{name:<24}{us:>9.1f}{1e6 / us:>15,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

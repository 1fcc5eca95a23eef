"""In-process ingest and verification throughput of the embedded store, as a printed table.

A measuring script, not a test::

    .venv/bin/python bench/ingest_verify.py            # the table
    .venv/bin/python bench/ingest_verify.py --profile  # plus the top functions by own time

Ingest: ``TraceService.record_steps`` in batches of 100 and of 1000 steps of realistic
content (about 300 bytes of text, JSON input and output, model ids, token usage; a third
with alternatives, a fifth with ``dependsOn``), into a fresh store with the default
durability. Rows say whether the pydantic validation of the wire dicts is inside the timing.
Verification: ``TraceService.verify_trace`` over one 10,000-step trace (the stored-bytes fast
path, and the decoding path a chain takes when the fast path rejects it), and
``schema.chain.verify_entries`` on the same entries already in memory.
"""

from __future__ import annotations

import cProfile
import os
import platform
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.chain import verify_entries
from tracegraph.schema.inputs import StartTraceInput, StepInput

TENANT = "bench"
WORDS = ("the agent checks the invoice total against the purchase order and the supplier "  # noqa: SIM905
         "contract before it decides whether to escalate; prices, dates and quantities are "
         "compared line by line, and any mismatch above the tolerance is noted").split()
TYPES = ["Observation", "Reasoning", "ToolCall", "ToolResult", "Decision", "PlanStep",
         "Hypothesis", "Summary"]
MODELS = ["claude-sonnet-4", "gpt-4.1-mini", "llama-3.3-70b"]


def step_dicts(rng: random.Random, n: int, prefix: str, earlier: list[str]) -> list[dict[str, Any]]:
    """``n`` steps as a client sends them (camelCase wire dicts), ids chosen by the client."""
    out: list[dict[str, Any]] = []
    for i in range(n):
        step_id = f"{prefix}-{i}"
        text = " ".join(rng.choice(WORDS) for _ in range(48))[:300]
        step: dict[str, Any] = {
            "stepId": step_id,
            "stepType": rng.choice(TYPES),
            "content": text,
            "inputData": {"tool": "lookup", "args": {"sku": f"A-{rng.randrange(10**6)}",
                                                      "qty": rng.randrange(1, 50)}},
            "outputData": {"price": round(rng.uniform(1, 500), 2), "currency": "EUR",
                           "matches": [rng.randrange(100) for _ in range(3)]},
            "modelId": rng.choice(MODELS),
            "inputTokens": rng.randrange(200, 4000),
            "outputTokens": rng.randrange(10, 800),
            "thinkingTokens": rng.randrange(0, 2000),
            "confidence": round(rng.random(), 3),
            "durationMs": round(rng.uniform(5, 3000), 1),
        }
        if i % 3 == 0:
            alts = [f"option {k}: {rng.choice(WORDS)}" for k in range(rng.randrange(2, 5))]
            step["alternativesConsidered"] = alts
            step["selectedAlternative"] = rng.choice(alts)
        if i % 5 == 0 and (earlier or out):
            pool = earlier[-200:] + [s["stepId"] for s in out[-20:]]
            step["dependsOn"] = sorted(set(rng.sample(pool, min(2, len(pool)))))
        out.append(step)
    earlier.extend(s["stepId"] for s in out)
    return out


def fresh_service(root: Path, name: str) -> TraceService:
    return TraceService(EmbeddedStore(root / name))


def ingest(root: Path, batch: int, total: int, *, validate_inside: bool,
           profile: cProfile.Profile | None = None) -> tuple[float, float, int]:
    """Steps per wall second and per CPU second of this process, for ``total`` steps in
    batches of ``batch`` (traces of 10 batches each)."""
    service = fresh_service(root, f"ingest-{batch}-{validate_inside}")
    rng = random.Random(batch)
    work: list[tuple[str, list[dict[str, Any]]]] = []
    earlier: list[str] = []
    for b in range(total // batch):
        if b % 10 == 0:
            trace_id = service.start_trace(TENANT, StartTraceInput(goal=f"bench {b}")).trace_id
            earlier = []
        work.append((trace_id, step_dicts(rng, batch, f"s{batch}-{b}", earlier)))
    models = None if validate_inside else [
        [StepInput.model_validate(d) for d in dicts] for _, dicts in work]
    if profile:
        profile.enable()
    start, cpu = time.perf_counter(), time.process_time()
    for k, (trace_id, dicts) in enumerate(work):
        steps = [StepInput.model_validate(d) for d in dicts] if models is None else models[k]
        service.record_steps(TENANT, trace_id, steps)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profile:
        profile.disable()
    service.store.close()
    return total / elapsed, total / cpu, total


def build_trace(root: Path, steps: int) -> tuple[TraceService, str]:
    service = fresh_service(root, "verify")
    trace_id = service.start_trace(TENANT, StartTraceInput(goal="verify")).trace_id
    rng = random.Random(10_000)
    earlier: list[str] = []
    for b in range(steps // 1000):
        service.record_steps(TENANT, trace_id, [
            StepInput.model_validate(d) for d in step_dicts(rng, 1000, f"v-{b}", earlier)])
    return service, trace_id


def timed(fn: Callable[[], Any], rounds: int) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each round."""
    times = []
    for _ in range(rounds):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start, time.process_time() - cpu))
    return times


def rate_row(name: str, entries: int, times: list[tuple[float, float]]) -> tuple[str, ...]:
    wall = [w for w, _ in times]
    cpu = statistics.median(c for _, c in times)
    return (name, f"{entries:,}", f"{entries / statistics.median(wall):,.0f}",
            f"{entries / min(wall):,.0f}", f"{entries / cpu:,.0f}")


def print_table(title: str, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                     for i, (h, w) in enumerate(zip(header, widths, strict=True)))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths, strict=True))))


def show_profile(title: str, profile: cProfile.Profile, limit: int = 14) -> None:
    print(f"\nprofile: {title} (top functions by own time)")
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(limit)


@click.command(help=__doc__.splitlines()[0] if __doc__ else None)
@click.option("--steps", type=click.IntRange(1), default=20_000, show_default=True,
              help="steps per ingest row")
@click.option("--verify-steps", type=click.IntRange(1), default=10_000, show_default=True)
@click.option("--rounds", type=click.IntRange(1), default=5, show_default=True,
              help="verification rounds")
@click.option("--profile", is_flag=True, help="print cProfile top functions")
def main(steps: int, verify_steps: int, rounds: int, profile: bool) -> int:

    print(f"tracegraph ingest/verify benchmark: Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    print("steps/s and entries/s are wall clock; the CPU-s columns divide by this process's "
          "CPU time, which other work on the machine disturbs less")
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as tmp:
        root = Path(tmp)
        ingest_rows: list[tuple[str, ...]] = []
        profiles: list[tuple[str, cProfile.Profile]] = []
        for batch in (100, 1000):
            for validate_inside in (False, True):
                prof = cProfile.Profile() if profile and batch == 1000 else None
                rate, per_cpu, n = ingest(root, batch, steps,
                                          validate_inside=validate_inside, profile=prof)
                what = "wire dicts, validation timed" if validate_inside else "validated models"
                ingest_rows.append((f"record_steps, batch {batch}", what, f"{n:,}",
                                    f"{rate:,.0f}", f"{per_cpu:,.0f}"))
                if prof:
                    profiles.append((f"record_steps batch {batch}, {what}", prof))
        print_table("In-process ingest (TraceService.record_steps, embedded store)",
                    ("path", "input", "steps", "steps/s", "steps/CPU-s"), ingest_rows)

        service, trace_id = build_trace(root, verify_steps)
        store = service.store
        entries = store.entries(TENANT, [trace_id])[trace_id]
        n = len(entries)
        assert service.verify_trace(TENANT, trace_id).valid
        rows = [
            rate_row("TraceService.verify_trace (stored bytes)", n,
                     timed(lambda: service.verify_trace(TENANT, trace_id), rounds)),
            rate_row("store.entries + verify_entries (decoded)", n, timed(
                lambda: verify_entries(store.entries(TENANT, [trace_id])[trace_id],
                                       tenant_id=TENANT, trace_id=trace_id,
                                       expected_length=n), rounds)),
            rate_row("schema.chain.verify_entries (in memory)", n, timed(
                lambda: verify_entries(entries, tenant_id=TENANT, trace_id=trace_id,
                                       expected_length=n), rounds)),
        ]
        print_table(f"Verification of one {n:,}-entry trace ({rounds} rounds)",
                    ("path", "entries", "entries/s median", "entries/s best",
                     "entries/CPU-s"), rows)
        if profile:
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(rounds):
                service.verify_trace(TENANT, trace_id)
            prof.disable()
            profiles.append(("verify_trace", prof))
            prof = cProfile.Profile()
            prof.enable()
            for _ in range(rounds):
                verify_entries(entries, tenant_id=TENANT, trace_id=trace_id)
            prof.disable()
            profiles.append(("verify_entries in memory", prof))
        store.close()
    for title, prof in profiles:
        show_profile(title, prof)
    return 0


if __name__ == "__main__":
    sys.exit(main())

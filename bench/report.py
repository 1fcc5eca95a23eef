"""The benchmark's results: figures with their targets, scale rows, and the report printed
as a table or written as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import orjson

from . import measure
from .workload import SEED, STEPS_PER_RUN


@dataclass
class Figure:
    """One row of the main table."""

    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    def shown(self) -> str:
        if self.value is None:
            return self.note or "-"
        if self.unit in {"ms", "s"}:
            return f"{self.value:,.1f} {self.unit}"
        return f"{self.value:,.0f} {self.unit}"


@dataclass
class ScaleRow:
    steps: int
    ingest_steps_s: float
    us_per_step: float
    cpu_us_per_step: float
    fetch_p50_ms: float
    fetch_p95_ms: float
    fetch_cpu_ms: float
    disk_bytes_per_step: float
    reopen_s: float
    reopen_rss_mb: float
    server_rss_mb: float
    bench_rss_mb: float
    #: The first fetch of the run (its entries not yet decoded by the server).
    fetch_first_ms: float = 0.0
    #: The server's first lineage query (BOTH, depth 3, of a step): its time, and the
    #: server's RSS after it (walks read the edges table; no graph is kept in memory).
    lineage_first_s: float = 0.0
    graph_rss_mb: float = 0.0


@dataclass
class Report:
    machine: measure.Machine
    command: str
    figures: list[Figure] = field(default_factory=list)
    scale: list[ScaleRow] = field(default_factory=list)
    backends: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self) -> str:
        out = [f"tracegraph benchmark: workload seed {SEED}, runs of {STEPS_PER_RUN} steps "
               "in 5 nested traces",
               f"machine: {self.machine.line()}",
               f"command: {self.command}", ""]
        w = max(len(f.name) for f in [*self.figures, *self.backends]) if self.figures else 30
        out.append(f"{'measure':<{w}}  {'result':>18}  {'target':>20}  met  note")
        for f in [*self.figures, *self.backends]:
            met = "" if f.met is None else ("yes" if f.met else "NO")
            note = f.note if f.value is not None else ""
            out.append(f"{f.name:<{w}}  {f.shown():>18}  {f.target:>20}  {met:<3}  {note}"
                       .rstrip())
        if self.scale:
            out += ["", "scale (embedded store, one store grown to each size; ingest figures are "
                    "of the segment that reached it; CPU columns are this process's and the "
                    "server's CPU time, which other work on the machine disturbs less than wall "
                    "time):",
                    f"{'steps':>9}  {'ingest steps/s':>14}  {'us/step':>7}  {'CPU us/step':>11}  "
                    f"{'fetch p50':>9}  {'fetch p95':>9}  {'fetch CPU':>9}  {'1st fetch':>9}  "
                    f"{'disk B/step':>11}  "
                    f"{'reopen':>7}  {'reopen RSS':>10}  {'server RSS':>10}  {'bench RSS':>9}  "
                    f"{'1st lineage':>11}  {'RSS after':>12}"]
            for r in self.scale:
                out.append(
                    f"{r.steps:>9,}  {r.ingest_steps_s:>14,.0f}  {r.us_per_step:>7.1f}  "
                    f"{r.cpu_us_per_step:>11.1f}  {r.fetch_p50_ms:>6.1f} ms  "
                    f"{r.fetch_p95_ms:>6.1f} ms  {r.fetch_cpu_ms:>6.1f} ms  "
                    f"{r.fetch_first_ms:>6.1f} ms  "
                    f"{r.disk_bytes_per_step:>11,.0f}  {r.reopen_s:>5.2f} s  "
                    f"{r.reopen_rss_mb:>7,.0f} MB  {r.server_rss_mb:>7,.0f} MB  "
                    f"{r.bench_rss_mb:>6,.0f} MB  {1000 * r.lineage_first_s:>8.1f} ms  "
                    f"{r.graph_rss_mb:>9,.0f} MB")
        if self.notes:
            out += ["", *self.notes]
        return "\n".join(out)


def write_json(report: Report, path: Path) -> None:
    path.write_bytes(orjson.dumps({
        "machine": report.machine.__dict__, "command": report.command,
        "figures": [f.__dict__ for f in report.figures],
        "backends": [f.__dict__ for f in report.backends],
        "scale": [r.__dict__ for r in report.scale], "notes": report.notes,
    }, option=orjson.OPT_INDENT_2))

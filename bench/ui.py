"""Web UI figures: time to first paint of a run's tree and DAG in Chromium, and the bytes of
JavaScript the UI ships.

Seeds an embedded store with the benchmark's 700-step run and a 10,000-step nested run
(root, 8 workers, a critic under each), serves it with ``tracegraph serve`` and opens each
run in Debian's Chromium (Playwright), ``--repeat`` times in a fresh page; the time is from
navigation start to the frame after the tree and DAG rendered (the UI sets
``window.__runPaintedMs``). Needs the dev extra (playwright) and ``/usr/bin/chromium``::

    python -m tracegraph.bench.ui [--repeat 5]
"""

from __future__ import annotations

import argparse
import gzip
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from tracegraph.api.service import TraceService
from tracegraph.api.web_ui import WEB_ASSETS
from tracegraph.graph.embedded import EmbeddedStore

from .timed_ingest import apply
from .workload import Run, as_inputs, make_run

TENANT = "default"
BIG_SHAPE: tuple[tuple[str, str | None, str, int], ...] = (
    ("root", None, "planner", 400),
    *((f"w{i}", "root", f"worker-{i}", 600) for i in range(8)),
    *((f"c{i}", f"w{i}", f"critic-{i}", 600) for i in range(8)),
)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def seed(data_dir: Path) -> list[Run]:
    """The 700-step run and the 10,000-step run, stored through the service layer."""
    store = EmbeddedStore(data_dir)
    runs = [make_run(0, namespace="ui"), make_run(1, namespace="ui", shape=BIG_SHAPE)]
    try:
        service = TraceService(store)
        for run in runs:
            for op in as_inputs(run):
                apply(service, TENANT, op)
    finally:
        store.close()
    return runs


def js_bytes() -> dict[str, tuple[int, int]]:
    """Bytes (raw, gzip) of the JavaScript each page loads: the UI and GraphiQL."""
    out: dict[str, tuple[int, int]] = {}
    for page in ("index.html", "graphiql.html"):
        html = (WEB_ASSETS / page).read_text(encoding="utf-8")
        names = re.findall(r'(?:src|href)="/assets/([^"]+\.js)"', html)
        data = [(WEB_ASSETS / "assets" / n).read_bytes() for n in names]
        out[page] = (sum(len(d) for d in data), sum(len(gzip.compress(d, 9)) for d in data))
    return out


def _serve(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    exe = shutil.which("tracegraph", path=str(Path(sys.executable).parent)) or "tracegraph"
    keys = data_dir.with_name(f"{data_dir.name}-keys")  # its own signing key, not the user's
    proc = subprocess.Popen([exe, "serve", "--data-dir", str(data_dir), "--port", str(port),
                             "--key-dir", str(keys), "--checkpoint-interval", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            raise RuntimeError("tracegraph serve did not start")
        time.sleep(0.1)


#: The UI's Performance API marks (first of each name) and the run query's resource timing,
#: in ms from navigation start.
PHASES_JS = """() => {
  const at = {};
  for (const m of performance.getEntriesByType("mark"))
    if (m.name.startsWith("tg:") && !(m.name in at)) at[m.name] = m.startTime;
  const q = performance.getEntriesByType("resource").find((r) => r.name.endsWith("/graphql"));
  if (q) { at["q:request"] = q.requestStart; at["q:first-byte"] = q.responseStart;
    at["q:end"] = q.responseEnd; }
  return at;
}"""
#: (label, from, to) of each phase of the first paint printed by the bench.
PHASES = (("page and JS until the run query", None, "tg:run-query"),
          ("  run query: until its first byte", "tg:run-query", "q:first-byte"),
          ("  run query: body download", "q:first-byte", "q:end"),
          ("  run query: JSON parse", "q:end", "tg:run-received"),
          ("build, layout, render (DOM ready)", "tg:run-received", "tg:run-committed"),
          ("  of which dagre layout", "tg:layout-start", "tg:layout-end"),
          ("first frame with tree and DAG", None, "tg:first-frame"),
          ("then effects run (after a paint)", "tg:run-committed", "tg:run-rendered"),
          ("  and their next frame (the figure)", "tg:run-rendered", "tg:run-painted"))


def phases(marks: dict[str, float]) -> dict[str, float]:
    """Milliseconds of each of :data:`PHASES` from one load's marks."""
    out: dict[str, float] = {}
    for label, start, end in PHASES:
        if end in marks and (start is None or start in marks):
            out[label] = marks[end] - (0.0 if start is None else marks[start])
    return out


def measure(url: str, runs: list[Run], repeat: int,
            breakdown: dict[str, list[dict[str, float]]] | None = None
            ) -> dict[str, list[float]]:
    """Milliseconds from navigation to the painted tree and DAG, per run, per repeat; each
    load's phases (:func:`phases`) are appended to ``breakdown`` when given."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        for run in runs:
            times = out.setdefault(f"{run.steps:,} steps", [])
            for _ in range(repeat + 1):  # the first load warms the server and the cache
                page = context.new_page()
                page.goto(f"{url}/#/run/{run.root_id}")
                page.wait_for_selector("body[data-run-painted]", timeout=60000)
                times.append(float(page.evaluate("window.__runPaintedMs")))
                if breakdown is not None:
                    breakdown.setdefault(f"{run.steps:,} steps", []).append(
                        phases(page.evaluate(PHASES_JS)))
                page.close()
            del times[0]
            if breakdown is not None:
                del breakdown[f"{run.steps:,} steps"][0]
        browser.close()
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed loads per run")
    args = parser.parse_args(argv)
    breakdown: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="tracegraph-ui-bench-") as tmp:
        data_dir = Path(tmp) / "store"  # the signing key goes to <tmp>/store-keys
        data_dir.mkdir()
        runs = seed(data_dir)
        proc, url = _serve(data_dir)
        try:
            figures = measure(url, runs, args.repeat, breakdown)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"tracegraph UI bench: first paint of tree and DAG in Chromium, {args.repeat} loads")
    for label, times in figures.items():
        print(f"  run of {label:>13}: median {statistics.median(times):7.0f} ms, "
              f"max {max(times):7.0f} ms")
        for phase, _, _ in PHASES:
            got = [b[phase] for b in breakdown.get(label, []) if phase in b]
            if got:
                print(f"    {phase:<36} median {statistics.median(got):7.1f} ms")
    for page, (raw, gz) in js_bytes().items():
        print(f"  JavaScript of {page:<14}: {raw:>9,} B ({gz:,} B gzip)")


if __name__ == "__main__":
    main()

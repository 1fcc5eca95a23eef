"""``tracegraph serve --embedder default`` as a real subprocess: the sampling options per
deployment and per tenant, and search over HTTP once the worker has embedded the steps."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from tracegraph.api.cli import main
from tracegraph.api.embedding import MiniLMEmbedder

from tests.helpers.processes import SCRIPT, free_port, wait_until_serving

STEPS = """mutation($t: ID!) { recordSteps(traceId: $t, steps: [
  {stepType: "Observation", content: "The invoice total does not match the purchase order."},
  {stepType: "Decision", content: "Escalate the invoice mismatch to the finance team."}])
  { stepType hasEmbedding } }"""
SEARCH = """{ searchSteps(query: "billing discrepancy", first: 5) { edges { score
  node { stepType } } } }"""


def _gql(url: str, query: str, tenant: str, variables: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    r = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}},
                   headers={"X-Org-Id": tenant}, timeout=60)
    body = r.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def test_serve_embeds_with_the_tenant_rates_given(tmp_path: Path, minilm: MiniLMEmbedder
                                                  ) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [SCRIPT, "serve", "--port", str(port), "--data-dir", str(tmp_path / "data"),
         "--embedder", "default", "--embedding-sample-rate", "0",
         "--embedding-tenant-rate", "acme=1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        banner: list[str] = []
        while not banner or "GraphiQL" not in banner[-1]:
            line = proc.stdout.readline()
            assert line, banner
            banner.append(line.rstrip())
        assert any(b.startswith("tracegraph: semantic search on: all-MiniLM-L6-v2, sample "
                                "rate 0 (+ every Action, Correction, Decision") for b in banner)
        wait_until_serving(url, proc, timeout=60)
        flags = {}
        for tenant in ("acme", "globex"):
            t = _gql(url, "mutation { startTrace(input: {}) { traceId } }", tenant)
            got = _gql(url, STEPS, tenant, {"t": t["startTrace"]["traceId"]})["recordSteps"]
            flags[tenant] = [s["hasEmbedding"] for s in got]
        assert flags == {"acme": [True, True], "globex": [False, True]}
        deadline = time.monotonic() + 60
        while True:
            hits = {t: [e["node"]["stepType"] for e in _gql(url, SEARCH, t)["searchSteps"]
                        ["edges"]] for t in ("acme", "globex")}
            if (len(hits["acme"]), len(hits["globex"])) == (2, 1) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert hits == {"acme": ["Observation", "Decision"], "globex": ["Decision"]}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        if proc.stdout:
            proc.stdout.close()


@pytest.mark.parametrize(("args", "message"), [
    (["--embedding-tenant-rate", "acme"], "is not TENANT=RATE"),
    (["--embedding-tenant-rate", "acme=2"], "is not TENANT=RATE"),
    (["--embedder", "endpoint"], "--embedding-endpoint, --embedding-model, "
                                 "--embedding-dimensions"),
])
def test_bad_semantic_options_are_refused(tmp_path: Path, args: list[str], message: str
                                          ) -> None:
    chosen = [] if args[0] == "--embedder" else ["--embedder", "default"]
    res = CliRunner().invoke(main, ["serve", "--data-dir", str(tmp_path), "--port", "0",
                                    *chosen, *args])
    assert res.exit_code == 2, res.output
    assert message in res.output

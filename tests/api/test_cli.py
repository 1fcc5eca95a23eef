"""The ``tracegraph`` console script: ``serve`` as a real subprocess, ``verify``, ``schema``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from tracegraph.api.cli import default_data_dir, main
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.inputs import StartTraceInput, StepInput

from tests.helpers.processes import SCRIPT, free_port, wait_until_serving


class Served:
    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [SCRIPT, "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        assert self.proc.stdout is not None
        self.banner: list[str] = []
        deadline = time.monotonic() + 60
        while len(self.banner) < 2:
            line = self.proc.stdout.readline()
            if not line or time.monotonic() > deadline:
                raise RuntimeError(f"tracegraph serve did not start: {self.banner}")
            self.banner.append(line.rstrip())
        wait_until_serving(self.url, self.proc, timeout=deadline - time.monotonic())

    def gql(self, query: str) -> dict[str, object]:
        r = httpx.post(f"{self.url}/graphql", json={"query": query}, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        assert "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=30)
        finally:
            if self.proc.stdout:
                self.proc.stdout.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    s = Served(tmp_path / "data")
    yield s
    if s.proc.poll() is None:
        s.stop()


def test_serve_answers_graphql_and_keeps_data(served: Served, tmp_path: Path) -> None:
    assert served.banner[0] == f"tracegraph: embedded store in {tmp_path / 'data'}"
    assert served.banner[1] == f"tracegraph: GraphiQL at {served.url}/graphql"
    started = served.gql('mutation { startTrace(input: {traceId: "cli-1", sessionId: "cli-s"}) '
                         "{ traceId status } }")
    assert started == {"startTrace": {"traceId": "cli-1", "status": "ACTIVE"}}
    served.gql('mutation { recordSteps(traceId: "cli-1", steps: [{stepType: "Reasoning", '
               'content: "c"}]) { stepId } }')
    page = httpx.get(f"{served.url}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert served.stop() == 0

    out = subprocess.run([SCRIPT, "verify", "--trace-id", "cli-1", "--data-dir",
                          str(tmp_path / "data")], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["valid"] is True and result["entries_checked"] == 2
    out = subprocess.run([SCRIPT, "verify", "--session-id", "cli-s", "--data-dir",
                          str(tmp_path / "data")], capture_output=True, text=True, check=False)
    assert out.returncode == 0 and json.loads(out.stdout)["valid"] is True


def test_verify_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["verify", "--trace-id", "ghost", "--data-dir", str(tmp_path)])
    assert res.exit_code == 1 and "NOT_FOUND: trace ghost not found" in res.output
    res = runner.invoke(main, ["verify", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2 and "exactly one of --trace-id, --session-id" in res.output


DROP_UPDATE_GUARD = "DROP TRIGGER entries_no_update"
TAMPER_HASH = "UPDATE entries SET hash = ? WHERE trace_id = ? AND seq = ?"


def test_verify_reports_a_broken_chain(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    service = TraceService(store)
    service.start_trace("default", StartTraceInput(trace_id="bad-1"))
    service.record_steps("default", "bad-1", [StepInput(step_type="Reasoning", content="a")])
    store.close()
    db = sqlite3.connect(tmp_path / "tracegraph.sqlite3")  # behind tracegraph's back
    db.execute(DROP_UPDATE_GUARD)
    db.execute(TAMPER_HASH, ("0" * 64, "bad-1", 1))
    db.commit()
    db.close()
    res = CliRunner().invoke(main, ["verify", "--trace-id", "bad-1", "--data-dir", str(tmp_path)])
    assert res.exit_code == 1
    result = json.loads(res.output)
    assert result["valid"] is False and result["first_broken_seq"] == 1


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACEGRAPH_DATA_DIR", str(tmp_path / "x"))
    assert default_data_dir() == tmp_path / "x"
    monkeypatch.delenv("TRACEGRAPH_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / ".local" / "share" / "tracegraph"


def test_unknown_backend_driver_is_a_clear_error(tmp_path: Path) -> None:
    env = {**os.environ, "TRACEGRAPH_DATA_DIR": str(tmp_path)}
    res = CliRunner(env=env).invoke(main, ["serve", "--backend", "nope"])
    assert res.exit_code == 2 and "'nope' is not one of" in res.output


def test_schema_command_prints_the_committed_sdl() -> None:
    res = CliRunner().invoke(main, ["schema"])
    assert res.exit_code == 0
    committed = (Path(__file__).parents[2] / "schema.graphql").read_text()
    assert res.output == committed

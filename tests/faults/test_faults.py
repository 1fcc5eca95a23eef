"""Short runs of the fault scripts (bench/faults), so CI walks their paths: a few SIGKILL
rounds, a few writer processes on every backend, a full and a read-only disk, a database
killed under a running server. The long runs and their figures are in docs/faults.md."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegraph.bench.faults import kill_embedded, writers
from tracegraph.bench.faults.disk import UNSUPPORTED

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
#: The private Dgraph the db-down test kills (never the shared default one).
PRIVATE_DGRAPH = {"DGRAPH_GRPC_PORT": "9380", "DGRAPH_HTTP_PORT": "8380"}


def test_sigkill_of_the_server_during_ingest_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rows, problems = kill_embedded.run(3, 2, 0.8, tmp_path / "store")
    assert problems == []
    assert dict(rows)["steps acknowledged"] > 0


def _server_or_skip(backend: str) -> None:
    if backend == "embedded":
        return
    started = subprocess.run([str(ROOT / "scripts" / backend), "start"], capture_output=True,
                             text=True, check=False)
    if started.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"scripts/{backend} start failed: {started.stderr[-500:]}")
        pytest.skip(f"scripts/{backend} start failed")


@pytest.mark.parametrize("backend", ["embedded", "neo4j", "dgraph"])
def test_concurrent_writer_processes_keep_one_dense_chain(backend: str, tmp_path: Path) -> None:
    _server_or_skip(backend)
    paths = ["service", "http"] if backend == "embedded" else ["http"]
    for path in paths:
        row, problems = writers.run_case(backend, path, 6, 2, tmp_path / f"{backend}-{path}")
        assert problems == [], row
        assert "12/12 acknowledged, 12 stored, seqs 1..12" in str(row[1])


def test_full_and_read_only_disk_give_clear_errors_and_recover() -> None:
    done = subprocess.run([sys.executable, "-m", "tracegraph.bench.faults.disk",
                           "--size-mb", "16"], capture_output=True, text=True, timeout=600,
                          check=False)
    if done.returncode == UNSUPPORTED:
        pytest.skip(done.stdout.strip())
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "507 STORAGE_FULL" in done.stdout
    assert "503 BACKEND_UNAVAILABLE" in done.stdout or "read-only" in done.stdout


@pytest.fixture
def private_dgraph() -> Iterator[dict[str, str]]:
    """A Dgraph of its own on port 9380 (started if needed, stopped if this started it)."""
    env = {**os.environ, **PRIVATE_DGRAPH}
    with socket.socket() as s:
        was_up = s.connect_ex(("127.0.0.1", 9380)) == 0
    script = str(ROOT / "scripts" / "dgraph")
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True,
                             check=False)
    if started.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"private dgraph did not start: {started.stderr[-500:]}")
        pytest.skip("private dgraph did not start")
    yield env
    if not was_up:
        subprocess.run([script, "stop"], env=env, capture_output=True, check=False)


def test_database_down_answers_503_and_the_server_recovers_by_itself(
        private_dgraph: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "tracegraph.bench.faults.kill_backends",
                           "--rounds", "1", "--backends", "dgraph"], env=private_dgraph,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert "'503'" in done.stdout

"""The backend fixture: every conformance test runs once per backend.

A backend's harness lives in ``backends/<name>.py``. Servers are started once per test
session by the project's scripts (``scripts/neo4j``, ``scripts/dgraph``); a backend whose
server is missing is skipped locally and fails the run under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.protocol import GraphStore

from .backends.embedded import EmbeddedHarness
from .harness import Harness

BACKENDS = ["embedded"]


@pytest.fixture(scope="session", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Harness]:
    name = request.param
    if name == "embedded":
        h = EmbeddedHarness(Path(tmp_path_factory.mktemp("embedded")))
        yield h
        h.close()
        return
    raise AssertionError(f"unknown backend {name}")


@pytest.fixture
def store(harness: Harness) -> GraphStore:
    return harness.open()


@pytest.fixture
def tenant(harness: Harness) -> str:
    return harness.new_tenant()


@pytest.fixture
def service(store: GraphStore) -> TraceService:
    return TraceService(store)

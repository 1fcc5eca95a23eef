"""The backend fixture: every conformance test runs once per backend.

A backend's harness lives in ``backends/<name>.py``. Servers are started once per test
session by the project's scripts (``scripts/neo4j``, ``scripts/dgraph``); a backend whose
server is missing is skipped locally and fails the run under ``CI=true``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.protocol import GraphStore

from .harness import Harness

#: Each name has a module ``backends/<name>.py`` with ``make_harness(tmp_path_factory)``,
#: which starts the backend's server (or calls ``harness.unavailable``) and returns a Harness.
BACKENDS = ["embedded", "neo4j", "dgraph"]


@pytest.fixture(scope="session", params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Harness]:
    module = importlib.import_module(f"{__package__}.backends.{request.param}")
    h: Harness = module.make_harness(tmp_path_factory)
    yield h
    h.close()


@pytest.fixture
def store(harness: Harness) -> GraphStore:
    return harness.open()


@pytest.fixture
def tenant(harness: Harness) -> str:
    return harness.new_tenant()


@pytest.fixture
def service(store: GraphStore) -> TraceService:
    return TraceService(store)

"""Shared fixtures: a fresh embedded store and the service layer over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[EmbeddedStore]:
    s = EmbeddedStore(data_dir)
    yield s
    s.close()


@pytest.fixture
def service(store: EmbeddedStore) -> TraceService:
    return TraceService(store)

"""Fixtures of the API tests: a live server over a temporary embedded store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore

from tests.helpers.live import CountingStore, LiveServer, new_tenant


@pytest.fixture(scope="module")
def counting_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CountingStore]:
    store = EmbeddedStore(Path(tmp_path_factory.mktemp("api-data")))
    yield CountingStore(store)
    store.close()


@pytest.fixture(scope="module")
def server(counting_store: CountingStore) -> Iterator[LiveServer]:
    """One server per test module; tests keep apart by using a tenant each."""
    live = LiveServer(TraceService(counting_store))  # type: ignore[arg-type]
    yield live
    live.stop()


@pytest.fixture
def tenant() -> str:
    return new_tenant()

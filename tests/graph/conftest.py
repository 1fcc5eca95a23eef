"""Fixtures shared by the backend-specific tests in this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tracegraph.graph.dgraph import DgraphStore

from ..conformance.backends.dgraph import ADDR, _script
from ..conformance.harness import unavailable


@pytest.fixture(scope="module")
def dgraph() -> Iterator[DgraphStore]:
    """A store on the test Dgraph (``scripts/dgraph start``: started when it is not up)."""
    started = _script("start")
    if started.returncode != 0:
        unavailable(f"scripts/dgraph start failed: {started.stderr.strip()[-500:]}")
    store = DgraphStore(ADDR)
    yield store
    store.close()

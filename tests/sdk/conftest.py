"""Fixtures of the SDK tests: clients over both transports (the same tests run on each)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tracegraph.sdk import Client

from .serve import ServeProcess, create_key

TENANT = "acme"


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, str]]:
    """A real ``tracegraph serve`` with API keys, and a key of tenant ``acme``."""
    data = Path(tmp_path_factory.mktemp("sdk-serve"))
    key = create_key(data, TENANT)
    server = ServeProcess(data).start()
    yield server, key
    server.stop()


@pytest.fixture(params=["in-process", "http"])
def transport_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def any_client(transport_name: str, tmp_path: Path,
               request: pytest.FixtureRequest) -> Iterator[Client]:
    """A client over the embedded store in process, or over HTTP to ``tracegraph serve``."""
    if transport_name == "http":
        server, key = request.getfixturevalue("served")
        client = Client.http(server.url, api_key=key)
    else:
        client = Client.local(tmp_path / "data", tenant=TENANT)
    yield client
    client.close()


@pytest.fixture
def local_client(tmp_path: Path) -> Iterator[Client]:
    client = Client.local(tmp_path / "data", tenant=TENANT)
    yield client
    client.close()

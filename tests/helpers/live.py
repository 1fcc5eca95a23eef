"""A real tracegraph server for tests: uvicorn in a background thread on a free port."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import uvicorn
from tracegraph.api.app import create_app
from tracegraph.api.service import TraceService
from tracegraph.graph.protocol import GraphStore


class CountingStore:
    """Proxy over a store that counts every method call (thread-safe)."""

    def __init__(self, inner: GraphStore) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
            return attr(*args, **kwargs)

        return counted

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()

    def total(self) -> int:
        with self._lock:
            return sum(self.calls.values())


class LiveServer:
    """Serves ``create_app(service, **app_options)`` over real HTTP until :meth:`stop`."""

    def __init__(self, service: TraceService, *, debug: bool = False,
                 **app_options: Any) -> None:
        self.service = service
        self.debug = debug
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(service, debug=debug, **app_options),
                                log_level="warning",
                                lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.01)
        self.http = httpx.Client(base_url=self.url, timeout=30)

    def stop(self) -> None:
        self.http.close()
        self.server.should_exit = True
        self.thread.join(timeout=20)

    def post(self, query: str, variables: dict[str, Any] | None = None, *,
             tenant: str | None = None) -> httpx.Response:
        headers = {"X-Org-Id": tenant} if tenant else {}
        return self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                              headers=headers)

    def gql(self, query: str, variables: dict[str, Any] | None = None, *,
            tenant: str | None = None) -> dict[str, Any]:
        """The response body of a GraphQL request that must succeed."""
        r = self.post(query, variables, tenant=tenant)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        assert "errors" not in body, body["errors"]
        return body["data"]  # type: ignore[no-any-return]

    def gql_error(self, query: str, variables: dict[str, Any] | None = None, *,
                  tenant: str | None = None) -> dict[str, Any]:
        """The single error of a GraphQL request that must fail."""
        r = self.post(query, variables, tenant=tenant)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        return body["errors"][0]  # type: ignore[no-any-return]


def new_tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"

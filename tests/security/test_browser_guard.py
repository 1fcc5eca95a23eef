"""Local mode is safe from web pages, over real HTTP and WebSocket: a foreign Host (DNS
rebinding) is 400, a foreign Origin 403 (subscriptions included), a write in a content type
a page can send without a preflight 415; nothing of a refused request is stored."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tracegraph.api.browser_guard import BrowserPolicy
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.helpers.live import LiveServer, new_tenant

START = "mutation { startTrace(input: {}) { traceId } }"
UI = "https://ui.example.com"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = EmbeddedStore(Path(tmp_path_factory.mktemp("browser")))
    live = LiveServer(TraceService(store), browser=BrowserPolicy.for_bind(
        "127.0.0.1", allowed_hosts=["tracegraph.internal"], allowed_origins=[UI]))
    yield live
    live.stop()
    store.close()


def _traces(server: LiveServer, tenant: str) -> int:
    body = server.gql("{ traces { edges { cursor } } }", tenant=tenant)
    return len(body["traces"]["edges"])


def _post(server: LiveServer, tenant: str, *, path: str = "/graphql", body: bytes | None = None,
          **headers: str) -> httpx.Response:
    content = body if body is not None else json.dumps({"query": START}).encode()
    sent = {"Content-Type": "application/json", "X-Org-Id": tenant}
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    return server.http.post(path, content=content, headers=sent)


@pytest.mark.parametrize("host", ["evil.example", f"evil.example:{8000}", "127.0.0.1.nip.io",
                                  "[::1", "localhost:x"])
def test_foreign_host_is_400(server: LiveServer, host: str) -> None:
    tenant = new_tenant()
    r = _post(server, tenant, Host=host)
    assert r.status_code == 400, r.text
    (err,) = r.json()["errors"]
    assert err["extensions"]["code"] == "BAD_HOST"
    assert "--allowed-host" in err["message"]
    assert _traces(server, tenant) == 0
    r = server.http.get("/healthz", headers={"Host": host})
    assert r.status_code == 400 and r.json()["error"]["code"] == "BAD_HOST"


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST:1", "127.0.0.1:9", "127.0.0.2",
                                  "[::1]:8000", "tracegraph.internal:8000"])
def test_loopback_and_allowed_hosts_are_served(server: LiveServer, host: str) -> None:
    tenant = new_tenant()
    r = _post(server, tenant, Host=host)
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    assert _traces(server, tenant) == 1


def test_beyond_loopback_any_host_unless_given() -> None:
    assert BrowserPolicy.for_bind("0.0.0.0").host_allowed("box.example:8000")
    given = BrowserPolicy.for_bind("0.0.0.0", allowed_hosts=["*.example.com"])
    assert given.host_allowed("api.example.com") and not given.host_allowed("box.example")
    assert BrowserPolicy.for_bind("10.1.2.3").host_allowed("10.1.2.3:8000")
    assert not BrowserPolicy.for_bind("127.0.0.1").host_allowed("10.1.2.3")


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:1",
                                    "https://ui.example.com.evil.example"])
def test_foreign_origin_is_403(server: LiveServer, origin: str) -> None:
    tenant = new_tenant()
    r = _post(server, tenant, Origin=origin)
    assert r.status_code == 403, r.text
    (err,) = r.json()["errors"]
    assert err["extensions"]["code"] == "FORBIDDEN_ORIGIN"
    assert "--allowed-origin" in err["message"]
    line = b'{"op": "start_trace"}\n'
    r = _post(server, tenant, path="/v1/ingest", body=line, Origin=origin,
              Content_Type="application/x-ndjson")
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN_ORIGIN"
    assert _traces(server, tenant) == 0


def test_own_and_allowed_origins_are_served(server: LiveServer) -> None:
    tenant = new_tenant()
    assert _post(server, tenant, Origin=server.url).status_code == 200  # GraphiQL's own page
    r = _post(server, tenant, Origin=UI)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == UI
    preflight = server.http.options("/graphql", headers={
        "Origin": UI, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-org-id"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == UI
    refused = server.http.options("/graphql", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 403
    assert _traces(server, tenant) == 2


SIMPLE = ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
          "multipart/form-data; boundary=x"]


@pytest.mark.parametrize("content_type", [*SIMPLE, "application/x-ndjson", ""])
def test_graphql_writes_need_application_json(server: LiveServer, content_type: str) -> None:
    tenant = new_tenant()
    r = _post(server, tenant, Content_Type=content_type)
    assert r.status_code == 415, r.text
    (err,) = r.json()["errors"]
    assert err["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "/graphql takes application/json" in err["message"]
    assert _traces(server, tenant) == 0


@pytest.mark.parametrize("content_type", [*SIMPLE, "application/json", ""])
def test_bulk_ingest_needs_ndjson(server: LiveServer, content_type: str) -> None:
    tenant = new_tenant()
    line = b'{"op": "start_trace"}\n'
    r = _post(server, tenant, path="/v1/ingest", body=line, Content_Type=content_type)
    assert r.status_code == 415, r.text
    assert r.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "/v1/ingest takes application/x-ndjson" in r.json()["error"]["message"]
    assert _traces(server, tenant) == 0
    r = _post(server, tenant, path="/v1/ingest", body=line,
              Content_Type="application/x-ndjson; charset=utf-8")
    assert r.status_code == 200, r.text
    assert _traces(server, tenant) == 1


async def _subscribe(url: str, host: str | None = None, **headers: str) -> dict[str, Any]:
    """connection_init's answer; ``host`` goes in the Host header (the socket still goes to
    ``url``'s address, as after a DNS rebinding)."""
    port = int(url.rsplit(":", 1)[1])
    ws_url = f"ws://{host or '127.0.0.1'}:{port}/graphql"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                       additional_headers=headers, host="127.0.0.1", port=port) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        ack: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return ack


@pytest.mark.parametrize("headers, status, code", [
    ({"Origin": "https://evil.example"}, 403, b"FORBIDDEN_ORIGIN"),
    ({"host": "evil.example"}, 400, b"BAD_HOST"),
])
def test_subscription_from_a_foreign_page_is_refused(
        server: LiveServer, headers: dict[str, str], status: int, code: bytes) -> None:
    with pytest.raises(InvalidStatus) as info:
        asyncio.run(_subscribe(server.url, **headers))
    assert info.value.response.status_code == status
    assert code in (info.value.response.body or b"")


def test_subscription_from_the_own_or_an_allowed_page_is_served(server: LiveServer) -> None:
    for origin in (server.url, UI):
        assert asyncio.run(_subscribe(server.url, Origin=origin))["type"] == "connection_ack"

"""API keys over real HTTP and WebSocket: the key names the tenant, X-Org-Id must agree,
no or bad key is 401, another tenant's ids find nothing; ``serve`` refuses to listen beyond
loopback without keys."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tracegraph.api.auth import Authenticator
from tracegraph.api.keys import KeyStore
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.helpers.live import LiveServer
from tests.helpers.processes import SCRIPT, free_port


@dataclass
class Keyed:
    server: LiveServer
    keys: KeyStore
    acme: str
    globex: str

    def post(self, query: str, variables: dict[str, Any] | None = None, *,
             key: str | None = None, headers: dict[str, str] | None = None) -> httpx.Response:
        sent = dict(headers or {})
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
        return self.server.http.post("/graphql", json={"query": query,
                                                       "variables": variables or {}},
                                     headers=sent)

    def gql(self, query: str, variables: dict[str, Any] | None = None, *,
            key: str) -> dict[str, Any]:
        r = self.post(query, variables, key=key)
        assert r.status_code == 200, r.text
        body = r.json()
        assert "errors" not in body, body["errors"]
        return body["data"]  # type: ignore[no-any-return]

    def gql_error(self, query: str, variables: dict[str, Any] | None = None, *,
                  key: str) -> dict[str, Any]:
        r = self.post(query, variables, key=key)
        assert r.status_code == 200, r.text
        (err,) = r.json()["errors"]
        return err  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyed]:
    data = Path(tmp_path_factory.mktemp("keyed"))
    store = EmbeddedStore(data)
    keys = KeyStore(data)
    acme, globex = keys.create("acme"), keys.create("globex")
    server = LiveServer(TraceService(store), auth=Authenticator(keys))
    yield Keyed(server, keys, acme, globex)
    server.stop()
    store.close()
    keys.close()


WHO = "mutation { startTrace(input: {}) { traceId tenantId } }"


def test_bearer_key_names_the_tenant(keyed: Keyed) -> None:
    assert keyed.gql(WHO, key=keyed.acme)["startTrace"]["tenantId"] == "acme"
    assert keyed.gql(WHO, key=keyed.globex)["startTrace"]["tenantId"] == "globex"
    r = keyed.post(WHO, key=keyed.acme, headers={"X-Org-Id": "acme"})
    assert r.status_code == 200 and r.json()["data"]["startTrace"]["tenantId"] == "acme"


def test_x_org_id_of_another_tenant_is_403(keyed: Keyed) -> None:
    r = keyed.post(WHO, key=keyed.acme, headers={"X-Org-Id": "globex"})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/json"
    (err,) = r.json()["errors"]
    assert err["extensions"]["code"] == "FORBIDDEN"
    assert "X-Org-Id" in err["message"] and "does not match" in err["message"]
    r = keyed.post(WHO, key=keyed.acme, headers={"X-Org-Id": "not a tenant!"})
    assert r.status_code == 403 and "not a valid tenant id" in r.text


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer  x", "Basic dXNlcjpwdw==", "Bearer tg_0000_nothing",
    "Bearer not-a-key", "Token {acme}",
])
def test_missing_or_invalid_key_is_401(keyed: Keyed, authorization: str | None) -> None:
    headers = {} if authorization is None else {
        "Authorization": authorization.replace("{acme}", keyed.acme)}
    r = keyed.post(WHO, headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Bearer")
    (err,) = r.json()["errors"]
    assert err["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization" in err["message"] and "API key" in err["message"]


def test_revoked_key_is_401_at_once(keyed: Keyed) -> None:
    key = keyed.keys.create("acme", label="short-lived")
    assert keyed.gql(WHO, key=key)["startTrace"]["tenantId"] == "acme"
    (info,) = [k for k in keyed.keys.list("acme") if k.label == "short-lived"]
    keyed.keys.revoke(info.key_id)
    r = keyed.post(WHO, key=key)
    assert r.status_code == 401 and "not valid or was revoked" in r.text


def test_get_queries_and_bulk_need_a_key_too(keyed: Keyed) -> None:
    http = keyed.server.http
    r = http.get("/graphql", params={"query": "{ traces { edges { cursor } } }"})
    assert r.status_code == 401
    # the GraphiQL page itself holds no data
    assert http.get("/graphql", headers={"Accept": "text/html"}).status_code == 200
    assert http.get("/healthz").status_code == 200
    line = b'{"op": "start_trace", "traceId": "bulk-auth-1"}\n'
    ndjson = {"Content-Type": "application/x-ndjson"}
    r = http.post("/v1/ingest", content=line, headers=ndjson)
    assert r.status_code == 401 and r.json()["error"]["code"] == "UNAUTHENTICATED"
    r = http.post("/v1/ingest", content=line, headers={
        **ndjson, "Authorization": f"Bearer {keyed.acme}", "X-Org-Id": "globex"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
    r = http.post("/v1/ingest", content=line, headers={
        **ndjson, "Authorization": f"Bearer {keyed.globex}"})
    assert r.status_code == 200, r.text
    q = '{ trace(traceId: "bulk-auth-1") { tenantId } }'
    assert keyed.gql(q, key=keyed.globex)["trace"] == {"tenantId": "globex"}
    assert keyed.gql(q, key=keyed.acme)["trace"] is None


# -- another tenant's ids ---------------------------------------------------------------------
STEPS = """mutation($t: ID!, $s: [StepInput!]!) {
  recordSteps(traceId: $t, steps: $s) { id stepId }
}"""


@pytest.fixture(scope="module")
def acme_run(keyed: Keyed) -> dict[str, Any]:
    """An acme trace with two steps (alternatives, dependsOn), a call and a nested trace."""
    t = keyed.gql('mutation { startTrace(input: {sessionId: "acme-s", goal: "secret plan"}) '
                  "{ id traceId } }", key=keyed.acme)["startTrace"]
    steps = keyed.gql(STEPS, {"t": t["traceId"], "s": [
        {"stepId": "acme-s0", "stepType": "Reasoning", "content": "acme only",
         "alternativesConsidered": ["a", "b"], "selectedAlternative": "a"},
        {"stepId": "acme-s1", "stepType": "Decision", "dependsOn": ["acme-s0"]},
    ]}, key=keyed.acme)["recordSteps"]
    child = keyed.gql('mutation($p: ID!) { startTrace(input: {parentTraceId: $p, '
                      'spawnedByStepId: "acme-s1"}) { traceId } }', {"p": t["traceId"]},
                      key=keyed.acme)["startTrace"]
    return {"trace": t, "steps": steps, "child": child["traceId"]}


def test_another_tenants_ids_find_nothing(keyed: Keyed, acme_run: dict[str, Any]) -> None:
    tid = acme_run["trace"]["traceId"]
    g = keyed.globex
    assert keyed.gql("query($t: ID!) { trace(traceId: $t) { goal } }", {"t": tid},
                     key=g)["trace"] is None
    assert keyed.gql('{ session(sessionId: "acme-s") { sessionId } }', key=g)["session"] is None
    for gid in (acme_run["trace"]["id"], *(s["id"] for s in acme_run["steps"])):
        assert keyed.gql("query($id: ID!) { node(id: $id) { id } }", {"id": gid},
                         key=g)["node"] is None
    listed = keyed.gql("{ traces(first: 100) { edges { node { traceId } } } }", key=g)
    assert tid not in {e["node"]["traceId"] for e in listed["traces"]["edges"]}
    for query, variables in [
        ("query($a: ID!, $b: ID!) { path(fromId: $a, toId: $b) { length } }",
         {"a": tid, "b": "acme-s1"}),
        ("query($a: ID!, $b: ID!) { path(fromId: $a, toId: $b, mode: ALL_SIMPLE) { length } }",
         {"a": "acme-s0", "b": "acme-s1"}),
        ("query($n: ID!) { lineage(nodeId: $n) { nodes { depth } } }", {"n": "acme-s1"}),
        ("query($n: ID!) { lineage(nodeId: $n, direction: DOWN) { nodes { depth } } }",
         {"n": tid}),
        ("query($t: ID!) { runTree(traceId: $t) { depth } }", {"t": tid}),
        ("query($t: ID!) { verifyTrace(traceId: $t) { valid } }", {"t": tid}),
    ]:
        err = keyed.gql_error(query, variables, key=g)
        assert err["extensions"]["code"] in {"NOT_FOUND", "BAD_USER_INPUT"}, (query, err)
        assert "acme only" not in json.dumps(err) and "secret plan" not in json.dumps(err)
    # the owner sees all of it
    assert keyed.gql("query($a: ID!, $b: ID!) { path(fromId: $a, toId: $b) { length } }",
                     {"a": tid, "b": "acme-s1"}, key=keyed.acme)["path"] == [{"length": 1}]


def test_another_tenants_ids_cannot_be_written_to(keyed: Keyed,
                                                   acme_run: dict[str, Any]) -> None:
    tid = acme_run["trace"]["traceId"]
    g = keyed.globex
    own = keyed.gql(WHO, key=g)["startTrace"]["traceId"]
    count = "query($t: ID!) { trace(traceId: $t) { entryCount: steps { stepId } } }"
    before = keyed.gql(count, {"t": own}, key=g)["trace"]
    for query, variables, field in [
        (STEPS, {"t": own, "s": [{"stepType": "Decision", "dependsOn": ["acme-s0"]}]},
         "dependsOn"),
        (STEPS, {"t": tid, "s": [{"stepType": "Decision"}]}, "traceId"),
        ('mutation($p: ID!) { startTrace(input: {parentTraceId: $p}) { traceId } }',
         {"p": tid}, "parentTraceId"),
        ('mutation($t: ID!) { startTrace(input: {parentTraceId: $t, spawnedByStepId: '
         '"acme-s1"}) { traceId } }', {"t": own}, "spawnedByStepId"),
        ('mutation($t: ID!) { recordApiCall(traceId: $t, call: {stepId: "acme-s0"}) '
         "{ callId } }", {"t": own}, "stepId"),
        ('mutation($t: ID!) { completeTrace(traceId: $t, outcome: SUCCESS) { status } }',
         {"t": tid}, "traceId"),
    ]:
        err = keyed.gql_error(query, variables, key=g)
        assert err["extensions"]["code"] in {"NOT_FOUND", "BAD_USER_INPUT"}, (query, err)
        assert "not found" in err["message"]
        assert field == "traceId" or err["message"].startswith(field) or (
            err["extensions"].get("field") == field), err
    assert keyed.gql(count, {"t": own}, key=g)["trace"] == before
    acme_steps = keyed.gql("query($t: ID!) { trace(traceId: $t) { status steps { stepId } } }",
                           {"t": tid}, key=keyed.acme)["trace"]
    assert acme_steps == {"status": "ACTIVE",
                          "steps": [{"stepId": "acme-s0"}, {"stepId": "acme-s1"}]}


# -- subscriptions ------------------------------------------------------------------------------
SUB = "subscription($t: ID!) { traceEvents(traceId: $t) { seq kind } }"


async def _open(url: str, *, headers: dict[str, str] | None = None,
                payload: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """connection_init over a fresh socket; the ack message, or None when the server
    closed the socket (its close code and reason are in the raised ConnectionClosed)."""
    ws_url = url.replace("http://", "ws://") + "/graphql"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                       additional_headers=headers or {}) as ws:
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await ws.send(json.dumps(init))
        ack: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return ack


async def _events(url: str, trace_id: str, *, headers: dict[str, str] | None = None,
                  payload: dict[str, Any] | None = None) -> dict[str, Any]:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    async with connect(ws_url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                       additional_headers=headers or {}) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUB, "variables": {"t": trace_id}}}))
        msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return msg


def test_subscription_handshake_with_a_bad_key_is_refused(keyed: Keyed) -> None:
    for headers, status in [({"Authorization": "Bearer tg_00_nothing"}, 401),
                            ({"Authorization": f"Bearer {keyed.acme}", "X-Org-Id": "globex"},
                             403)]:
        with pytest.raises(InvalidStatus) as info:
            asyncio.run(_open(keyed.server.url, headers=headers))
        assert info.value.response.status_code == status
        assert b"Authorization" in info.value.response.body or b"X-Org-Id" in (
            info.value.response.body or b"")


@pytest.mark.parametrize("payload, code, reason", [
    (None, 4401, "Authorization"),
    ({"Authorization": "Bearer tg_00_nothing"}, 4401, "not valid or was revoked"),
    ({"authorization": "Basic abc"}, 4401, "Bearer"),
    ({"Authorization": "Bearer {acme}", "X-Org-Id": "globex"}, 4403, "X-Org-Id"),
])
def test_subscription_connection_init_with_a_bad_key_is_closed(
        keyed: Keyed, payload: dict[str, Any] | None, code: int, reason: str) -> None:
    if payload is not None:
        payload = {k: v.replace("{acme}", keyed.acme) for k, v in payload.items()}
    with pytest.raises(ConnectionClosed) as info:
        asyncio.run(_open(keyed.server.url, payload=payload))
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == code and reason in info.value.rcvd.reason


async def _legacy_init(url: str, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """connection_init over the legacy graphql-ws protocol; the messages until the close."""
    ws_url = url.replace("http://", "ws://") + "/graphql"
    got: list[dict[str, Any]] = []
    async with connect(ws_url, subprotocols=["graphql-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            while True:
                got.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
                if got[-1]["type"] == "connection_ack":
                    return got
        except ConnectionClosed:
            return got


def test_legacy_graphql_ws_gets_a_connection_error(keyed: Keyed) -> None:
    (msg,) = asyncio.run(_legacy_init(keyed.server.url, {"Authorization": "Bearer tg_0_x"}))
    assert msg["type"] == "connection_error"
    assert msg["payload"]["code"] == "UNAUTHENTICATED"
    assert "not valid or was revoked" in msg["payload"]["message"]
    got = asyncio.run(_legacy_init(keyed.server.url, {"Authorization": f"Bearer {keyed.acme}"}))
    assert got[-1]["type"] == "connection_ack"


def test_subscription_key_in_headers_or_payload(keyed: Keyed, acme_run: dict[str, Any]) -> None:
    tid = acme_run["trace"]["traceId"]
    url = keyed.server.url
    for headers, payload in [({"Authorization": f"Bearer {keyed.acme}"}, None),
                             (None, {"Authorization": f"Bearer {keyed.acme}"}),
                             (None, {"headers": {"authorization": f"Bearer {keyed.acme}"}})]:
        msg = asyncio.run(_events(url, tid, headers=headers, payload=payload))
        assert msg["type"] == "next" and msg["payload"]["data"]["traceEvents"] == {
            "seq": 0, "kind": "TRACE_STARTED"}, msg
    # another tenant's key subscribes to nothing of acme's
    msg = asyncio.run(_events(url, tid, payload={"Authorization": f"Bearer {keyed.globex}"}))
    assert msg["type"] in {"error", "next"}
    assert msg["type"] == "error" or msg["payload"].get("errors"), msg
    assert "TRACE_STARTED" not in json.dumps(msg)
    # handshake and payload naming different tenants
    with pytest.raises(ConnectionClosed) as info:
        asyncio.run(_open(url, headers={"Authorization": f"Bearer {keyed.acme}"},
                          payload={"Authorization": f"Bearer {keyed.globex}"}))
    assert info.value.rcvd is not None and info.value.rcvd.code == 4403


# -- serve ----------------------------------------------------------------------------------------
def _serve(data_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TRACEGRAPH_DATA_DIR": str(data_dir)}
    return subprocess.Popen([SCRIPT, "serve", "--data-dir", str(data_dir), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_serve_refuses_all_interfaces_without_keys(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--host", "0.0.0.0", "--port", str(free_port()))
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "refusing to listen on 0.0.0.0 without API keys" in out
    assert "tracegraph keys create --tenant" in out


def _banner_until_ready(proc: subprocess.Popen[str], url: str) -> list[str]:
    assert proc.stdout is not None
    lines = [proc.stdout.readline().rstrip() for _ in range(3)]
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return lines
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, lines
        time.sleep(0.05)


def test_serve_modes(tmp_path: Path) -> None:
    port = free_port()
    proc = _serve(tmp_path, "--port", str(port))
    try:
        banner = _banner_until_ready(proc, f"http://127.0.0.1:{port}")
        assert "tracegraph: local mode: no API keys, loopback only" in banner
    finally:
        proc.terminate()
        proc.communicate(timeout=30)

    created = subprocess.run([SCRIPT, "keys", "create", "--tenant", "acme", "--data-dir",
                              str(tmp_path)], capture_output=True, text=True, check=True)
    key = created.stdout.strip()
    assert key.startswith("tg_") and "shown only this once" in created.stderr
    port = free_port()
    proc = _serve(tmp_path, "--host", "0.0.0.0", "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}"
        banner = _banner_until_ready(proc, url)
        assert "tracegraph: API keys required (Authorization: Bearer <key>)" in banner
        query = {"query": "mutation { startTrace(input: {}) { tenantId } }"}
        assert httpx.post(f"{url}/graphql", json=query).status_code == 401
        r = httpx.post(f"{url}/graphql", json=query, headers={"Authorization": f"Bearer {key}"})
        assert r.json() == {"data": {"startTrace": {"tenantId": "acme"}}}
        # beyond loopback, revoking the last key does not fall back to local mode
        listed = subprocess.run([SCRIPT, "keys", "list", "--data-dir", str(tmp_path)],
                                capture_output=True, text=True, check=True).stdout
        key_id = listed.splitlines()[1].split()[0]
        subprocess.run([SCRIPT, "keys", "revoke", key_id, "--data-dir", str(tmp_path)],
                       check=True, capture_output=True)
        assert httpx.post(f"{url}/graphql", json=query).status_code == 401
        assert httpx.post(f"{url}/graphql", json=query,
                          headers={"Authorization": f"Bearer {key}"}).status_code == 401
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def _admin(*args: str) -> Any:
    from click.testing import CliRunner
    from tracegraph.api.cli import main

    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return res


def test_revoking_the_last_key_does_not_open_the_server(tmp_path: Path) -> None:
    """On loopback too: once keys were created, the server keeps requiring one after the
    last is revoked, until the operator runs `tracegraph keys require --off`."""
    store, keys = EmbeddedStore(tmp_path), KeyStore(tmp_path)
    server = LiveServer(TraceService(store), auth=Authenticator(keys))
    d = str(tmp_path)
    try:
        assert server.post(WHO, tenant="acme").status_code == 200  # local mode
        key = _admin("keys", "create", "--tenant", "acme", "--data-dir", d).stdout.strip()
        assert server.post(WHO, tenant="acme").status_code == 401
        key_id = _admin("keys", "list", "--data-dir", d).output.splitlines()[1].split()[0]
        res = _admin("keys", "revoke", key_id, "--data-dir", d)
        assert "refuses every request" in res.stderr
        for headers in ({"X-Org-Id": "acme"}, {}, {"Authorization": f"Bearer {key}"}):
            r = server.http.post("/graphql", json={"query": WHO}, headers=headers)
            assert r.status_code == 401, r.text
        line = b'{"op": "start_trace"}\n'
        r = server.http.post("/v1/ingest", content=line, headers={
            "X-Org-Id": "acme", "Content-Type": "application/x-ndjson"})
        assert r.status_code == 401
        assert "API keys required (no active key" in _admin(
            "keys", "require", "--data-dir", d).output
        assert "local mode" in _admin("keys", "require", "--off", "--data-dir", d).output
        r = server.post(WHO, tenant="acme")
        assert r.status_code == 200 and r.json()["data"]["startTrace"]["tenantId"] == "acme"
        _admin("keys", "require", "--on", "--data-dir", d)
        assert server.post(WHO, tenant="acme").status_code == 401
    finally:
        server.stop()
        store.close()
        keys.close()

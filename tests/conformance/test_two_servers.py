"""Two `tracegraph serve` processes on one backend (the way users scale out) keep one
tenant log: both ingest at once, the log is dense with the root of the stored records, a
checkpoint signed through one server verifies through the other."""

from __future__ import annotations

import base64
import os
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pytest
from tracegraph.graph.protocol import GraphStore, LogStore
from tracegraph.schema.merkle import tree_hash
from tracegraph.schema.merkle_leaf import EntryLeaf
from tracegraph.schema.merkle_tree import CompactRange

from ..helpers.processes import SCRIPT, free_port, wait_until_serving
from .harness import Harness

VERIFY = "query { verifyTenant { valid tracesChecked entriesChecked logChecked checkpoint { size } problems { code } } }"  # noqa: E501


def _backend_args(harness: Harness) -> list[str]:
    location = harness.location()
    if harness.name == "embedded":
        return ["--backend", "embedded", "--data-dir", location]
    if harness.name == "neo4j":
        return ["--backend", "neo4j", "--neo4j-uri", location]
    return ["--backend", "dgraph", "--dgraph-addr", location]


@pytest.fixture
def servers(harness: Harness, tmp_path: Path) -> Iterator[list[str]]:
    env = {**os.environ, "TRACEGRAPH_SIGNING_KEY": base64.b64encode(os.urandom(32)).decode(),
           "TRACEGRAPH_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
           "TRACEGRAPH_KEY_DIR": str(tmp_path / "keys")}
    procs, urls = [], []
    for i in range(2):
        port = free_port()
        log = tmp_path / f"serve-{i}.log"
        with log.open("wb") as out:
            procs.append(subprocess.Popen(
                [SCRIPT, "serve", "--port", str(port), *_backend_args(harness)],
                env=env, stdout=out, stderr=subprocess.STDOUT))
        urls.append(f"http://127.0.0.1:{port}")
        wait_until_serving(urls[-1], procs[-1], log=log)
    yield urls
    for p in procs:
        p.terminate()
        p.wait(30)


def _ndjson(prefix: str, traces: int) -> bytes:
    ops = []
    for t in range(traces):
        trace = f"{prefix}-{t}"
        ops.append({"op": "start_trace", "traceId": trace, "sessionId": f"{prefix}-s"})
        for k in range(3):
            ops.append({"op": "record_steps", "traceId": trace, "steps": [
                {"stepId": f"{trace}-{k}", "stepType": "Reasoning", "content": f"step {k}"}]})
        ops.append({"op": "complete_trace", "traceId": trace, "outcome": "success"})
    return b"".join(orjson.dumps(op) + b"\n" for op in ops)


def test_two_servers_on_one_store_keep_one_log_and_share_checkpoints(
        servers: list[str], store: GraphStore, tenant: str) -> None:
    if not isinstance(store, LogStore):
        pytest.fail(f"{type(store).__name__} keeps no Merkle log")
    headers = {"X-Org-Id": tenant, "Content-Type": "application/x-ndjson"}
    prefix = uuid.uuid4().hex[:8]

    def ingest(i: int) -> int:
        body = _ndjson(f"{prefix}-{i}", 4)
        return httpx.post(f"{servers[i % 2]}/v1/ingest", content=body, headers=headers,
                          timeout=120).status_code

    with ThreadPoolExecutor(4) as pool:  # two writers on each server at once
        assert list(pool.map(ingest, range(4))) == [200] * 4
    head = store.log_head(tenant)
    assert head.size == 4 * 4 * 5
    leaves = store.log_leaves(tenant, 0, head.size + 1)
    assert [x.leaf_index for x in leaves] == list(range(head.size))
    entry_leaves = [x.leaf for x in leaves if isinstance(x.leaf, EntryLeaf)]
    stored = store.entries_at(tenant, [(x.trace_id, x.seq) for x in entry_leaves])
    assert [stored[(x.trace_id, x.seq)].hash for x in entry_leaves] == \
        [x.entry_hash for x in entry_leaves]
    assert CompactRange(head.size, head.edge).root() == tree_hash([x.hash() for x in
                                                                   entry_leaves])
    gql = {"X-Org-Id": tenant}
    made = httpx.post(f"{servers[0]}/graphql", headers=gql, timeout=60, json={
        "query": "mutation { createCheckpoint { size rootHash } }"}).json()
    assert made["data"]["createCheckpoint"]["size"] == head.size, made
    checked = httpx.post(f"{servers[1]}/graphql", headers=gql, timeout=120,
                         json={"query": VERIFY}).json()["data"]["verifyTenant"]
    assert checked["valid"] and checked["logChecked"], checked
    assert checked["checkpoint"] == {"size": head.size} and checked["tracesChecked"] == 16

"""The Merkle log through GraphQL over HTTP: createCheckpoint, verifyTrace/verifySession/
verifyTenant against it, inclusion and consistency proofs (checked with an RFC 6962
verifier, and corrupted ones failing), checkpoints, Trace.lastVerification (badge data), and
a tamper through raw SQL reported with its reason."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tracegraph.api.service import TraceService
from tracegraph.api.service.audit import AuditService
from tracegraph.api.service.signing import LogSigning
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.merkle import ProofError, verify_consistency, verify_inclusion

from tests.conformance.builders import small_trace
from tests.helpers.live import LiveServer

CHECKPOINT = "mutation { createCheckpoint { origin size rootHash timestamp keyId note } }"
RESULT = ("valid entriesChecked firstBrokenSeq reason traceId tracesChecked headHash "
          "verifiedAt entriesNotCheckpointed logChecked "
          "problems { code message traceId seq leafIndex } checkpoint { size rootHash keyId }")
VERIFY = f"""query ($t: ID!, $s: ID!) {{
  verifyTrace(traceId: $t) {{ {RESULT} }}
  verifySession(sessionId: $s) {{ {RESULT} }}
  verifyTenant {{ {RESULT} }}
}}"""
BADGE = """query ($t: ID!) { trace(traceId: $t) { lastVerification {
  valid verifiedAt reason checkpoint { size rootHash } } } }"""
INCLUSION = """query ($t: ID!, $seq: Int!, $n: Int) {
  inclusionProof(traceId: $t, seq: $seq, treeSize: $n) {
    traceId seq leafIndex treeSize leafHash rootHash hashes checkpoint { size } } }"""
CONSISTENCY = """query ($a: Int!, $b: Int) { consistencyProof(fromSize: $a, toSize: $b) {
  fromSize toSize fromRoot toRoot hashes } }"""


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[dict[str, Any]]:
    store = EmbeddedStore(tmp_path / "data")
    service = TraceService(store)
    signing = LogSigning.load(key_dir=tmp_path / "keys", data_dir=tmp_path / "data",
                              environ={})
    live = LiveServer(service, audit=AuditService(service, signing))
    trace = small_trace(service, "gq", session="s1", steps=2)
    yield {"live": live, "trace": trace.trace_id, "service": service, "dir": tmp_path}
    live.stop()
    store.close()


def test_checkpoint_verify_and_badge(setup: dict[str, Any]) -> None:
    live, trace = setup["live"], setup["trace"]
    assert live.gql(BADGE, {"t": trace}, tenant="gq")["trace"]["lastVerification"] is None
    cp = live.gql(CHECKPOINT, tenant="gq")["createCheckpoint"]
    assert cp["size"] == 7 and cp["origin"] == "tracegraph/gq" and cp["note"].endswith("\n")
    data = live.gql(VERIFY, {"t": trace, "s": "s1"}, tenant="gq")
    for name in ("verifyTrace", "verifySession", "verifyTenant"):
        r = data[name]
        assert r["valid"] and r["logChecked"] and r["problems"] == [], name
        assert r["checkpoint"] == {"size": 7, "rootHash": cp["rootHash"], "keyId": cp["keyId"]}
    assert data["verifyTrace"]["entriesChecked"] == 7 and data["verifyTrace"]["headHash"]
    badge = live.gql(BADGE, {"t": trace}, tenant="gq")["trace"]["lastVerification"]
    assert badge["valid"] and badge["checkpoint"] == {"size": 7, "rootHash": cp["rootHash"]}
    assert badge["verifiedAt"] in {data[n]["verifiedAt"] for n in data}
    listed = live.gql("{ checkpoints { size note } }", tenant="gq")["checkpoints"]
    assert listed == [{"size": 7, "note": cp["note"]}]


def test_proofs_verify_and_corrupted_ones_fail(setup: dict[str, Any]) -> None:
    live, trace = setup["live"], setup["trace"]
    first = live.gql(CHECKPOINT, tenant="gq")["createCheckpoint"]
    small_trace(setup["service"], "gq", session="s2", steps=1)
    second = live.gql(CHECKPOINT, tenant="gq")["createCheckpoint"]
    p = live.gql(INCLUSION, {"t": trace, "seq": 3}, tenant="gq")["inclusionProof"]
    assert p["treeSize"] == second["size"] and p["checkpoint"] == {"size": second["size"]}
    hashes = [bytes.fromhex(h) for h in p["hashes"]]
    leaf, root = bytes.fromhex(p["leafHash"]), bytes.fromhex(p["rootHash"])
    verify_inclusion(p["leafIndex"], p["treeSize"], leaf, hashes, root)
    with pytest.raises(ProofError):
        verify_inclusion(p["leafIndex"], p["treeSize"], leaf, [bytes(32), *hashes[1:]], root)
    old = live.gql(INCLUSION, {"t": trace, "seq": 3, "n": first["size"]}, tenant="gq")
    assert old["inclusionProof"]["rootHash"] == first["rootHash"]
    c = live.gql(CONSISTENCY, {"a": first["size"]}, tenant="gq")["consistencyProof"]
    assert (c["fromRoot"], c["toRoot"]) == (first["rootHash"], second["rootHash"])
    proof = [bytes.fromhex(h) for h in c["hashes"]]
    verify_consistency(first["size"], second["size"], proof, bytes.fromhex(c["fromRoot"]),
                       bytes.fromhex(c["toRoot"]))
    with pytest.raises(ProofError):
        verify_consistency(first["size"], second["size"], proof[:-1],
                           bytes.fromhex(c["fromRoot"]), bytes.fromhex(c["toRoot"]))
    err = live.gql_error(CONSISTENCY, {"a": 0}, tenant="gq")
    assert "fromSize" in err["message"]


def test_tampered_status_is_a_derived_row_problem(setup: dict[str, Any]) -> None:
    live, trace = setup["live"], setup["trace"]
    live.gql(CHECKPOINT, tenant="gq")
    db = sqlite3.connect(setup["dir"] / "data" / "tracegraph.sqlite3", isolation_level=None)
    db.execute("UPDATE traces SET status = 'cancelled' WHERE trace_id = ?", (trace,))
    db.close()
    data = live.gql(VERIFY, {"t": trace, "s": "s1"}, tenant="gq")
    for name in ("verifyTrace", "verifySession", "verifyTenant"):
        r = data[name]
        assert not r["valid"] and r["problems"][0]["code"] == "derived_row", name
        assert "status" in r["reason"] and r["traceId"] == trace
    badge = live.gql(BADGE, {"t": trace}, tenant="gq")["trace"]["lastVerification"]
    assert badge["valid"] is False and "status" in badge["reason"]


def test_without_a_signing_key_checkpoints_are_refused_and_verification_is_unsigned(
        tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "data")
    service = TraceService(store)
    live = LiveServer(service)  # no signing configured
    try:
        trace = small_trace(service, "nk", session="s1", steps=1)
        err = live.gql_error(CHECKPOINT, tenant="nk")
        assert err["extensions"]["code"] == "SIGNING_NOT_CONFIGURED"
        r = live.gql(VERIFY, {"t": trace.trace_id, "s": "s1"}, tenant="nk")["verifyTrace"]
        assert r["valid"] and r["checkpoint"] is None and r["logChecked"]
        assert r["entriesNotCheckpointed"] == r["entriesChecked"] == 6
    finally:
        live.stop()
        store.close()

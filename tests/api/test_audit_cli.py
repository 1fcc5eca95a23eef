"""The Merkle-log commands end to end on an embedded store: checkpoint, verify against it,
proofs, checkpoint export, audit bundles (export --bundle -> verify-bundle), and tampering
through raw SQL on the SQLite file found by `tracegraph verify`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner
from tracegraph.api.cli import main
from tracegraph.api.service import open_service
from tracegraph.schema.merkle import ProofError, verify_consistency, verify_inclusion

from tests.conformance.builders import small_trace
from tests.helpers.processes import SCRIPT, free_port, wait_until_serving

TENANT = "acme"


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Any]:
    data, keys = tmp_path / "data", tmp_path / "keys"
    service = open_service("embedded", data_dir=data)
    try:
        trace = small_trace(service, TENANT, session="s1", steps=2)
        other = small_trace(service, TENANT, session="s2", steps=1)
    finally:
        service.close()
    return {"data": data, "keys": keys, "trace": trace.trace_id, "other": other.trace_id,
            "args": ["--data-dir", str(data), "--key-dir", str(keys)]}


def run(dirs: dict[str, Any], *args: str, code: int = 0) -> Any:
    res = CliRunner().invoke(main, [*args, "--tenant", TENANT, *dirs["args"]])
    assert res.exit_code == code, res.output
    return res


def test_checkpoint_then_verify_against_it(dirs: dict[str, Any]) -> None:
    cp = json.loads(run(dirs, "checkpoint").stdout)
    assert cp["size"] == 13 and cp["origin"] == f"tracegraph/{TENANT}"
    assert cp["note"].startswith(f"tracegraph/{TENANT}\n13\n")
    (journal,) = (dirs["keys"] / "checkpoints").glob(f"store-*/{TENANT}.checkpoints.jsonl")
    assert orjson.loads(journal.read_bytes().splitlines()[-1])["note"] == cp["note"]
    for scope in (["--trace-id", dirs["trace"]], ["--session-id", "s1"], ["--tenant-wide"]):
        result = json.loads(run(dirs, "verify", *scope).stdout)
        assert result["valid"] and result["checkpoint"]["root_hash"] == cp["root_hash"], scope
    exported = run(dirs, "checkpoints", "export").stdout
    assert cp["note"] in exported


def test_two_stores_sharing_a_key_folder_keep_their_own_journals(
        dirs: dict[str, Any], tmp_path: Path) -> None:
    run(dirs, "checkpoint")
    other = tmp_path / "other-data"
    service = open_service("embedded", data_dir=other)
    small_trace(service, TENANT, session="s1", steps=1)
    service.close()
    args = ["--tenant", TENANT, "--data-dir", str(other), "--key-dir", str(dirs["keys"])]
    res = CliRunner().invoke(main, ["verify", "--tenant-wide", *args])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["checkpoint"] is None  # not the first store's checkpoint
    res = CliRunner().invoke(main, ["checkpoint", *args])
    assert res.exit_code == 0 and json.loads(res.stdout)["size"] == 6


def test_key_inside_the_data_directory_is_refused(dirs: dict[str, Any]) -> None:
    res = CliRunner().invoke(main, ["checkpoint", "--tenant", TENANT, "--data-dir",
                                    str(dirs["data"]), "--key-dir", str(dirs["data"] / "k")])
    assert res.exit_code == 1 and "overlaps the data directory" in res.output


def test_the_log_name_is_configured_once(dirs: dict[str, Any]) -> None:
    run(dirs, "checkpoint")
    res = run(dirs, "checkpoint", "--log-name", "other", code=1)
    assert "cannot change" in res.output


def test_proofs_verify_and_corrupted_ones_fail(dirs: dict[str, Any]) -> None:
    first = json.loads(run(dirs, "checkpoint").stdout)
    service = open_service("embedded", data_dir=dirs["data"])
    small_trace(service, TENANT, session="s3", steps=1)
    service.close()
    second = json.loads(run(dirs, "checkpoint").stdout)
    p = json.loads(run(dirs, "proof", "inclusion", "--trace-id", dirs["trace"],
                       "--seq", "2").stdout)
    assert p["tree_size"] == second["size"] and p["root_hash"] == second["root_hash"]
    hashes = [bytes.fromhex(h) for h in p["hashes"]]
    root, leaf = bytes.fromhex(p["root_hash"]), bytes.fromhex(p["leaf_hash"])
    verify_inclusion(p["leaf_index"], p["tree_size"], leaf, hashes, root)
    broken = [hashes[0][:-1] + bytes([hashes[0][-1] ^ 1]), *hashes[1:]]
    for bad in ((p["leaf_index"], leaf, broken), (p["leaf_index"] + 1, leaf, hashes),
                (p["leaf_index"], leaf, hashes[:-1])):
        with pytest.raises(ProofError):
            verify_inclusion(bad[0], p["tree_size"], bad[1], bad[2], root)
    c = json.loads(run(dirs, "proof", "consistency", "--from", str(first["size"])).stdout)
    old, new = bytes.fromhex(first["root_hash"]), bytes.fromhex(second["root_hash"])
    proof = [bytes.fromhex(h) for h in c["hashes"]]
    verify_consistency(first["size"], second["size"], proof, old, new)
    with pytest.raises(ProofError):
        verify_consistency(first["size"], second["size"], proof[::-1], old, new)


def test_cut_tail_through_sql_is_found_and_blocks_the_next_checkpoint(
        dirs: dict[str, Any]) -> None:
    run(dirs, "checkpoint")
    db = sqlite3.connect(dirs["data"] / "tracegraph.sqlite3", isolation_level=None)
    db.execute("DROP TRIGGER entries_no_delete")
    db.execute("DELETE FROM entries WHERE trace_id = ? AND seq >= 4", (dirs["trace"],))
    db.execute("UPDATE traces SET status = 'active', entry_count = 4 WHERE trace_id = ?",
               (dirs["trace"],))
    db.close()
    result = json.loads(run(dirs, "verify", "--trace-id", dirs["trace"], code=1).stdout)
    assert result["problems"][0]["code"] == "entry_missing"
    assert result["first_broken_seq"] == 4 and result["trace_id"] == dirs["trace"]


def test_rewritten_leaves_make_the_next_checkpoint_refuse(dirs: dict[str, Any]) -> None:
    run(dirs, "checkpoint")
    db = sqlite3.connect(dirs["data"] / "tracegraph.sqlite3", isolation_level=None)
    db.execute("DROP TRIGGER log_runs_no_update")
    db.execute("UPDATE log_runs SET hashes = zeroblob(length(hashes)) WHERE first_index <= 1")
    db.execute("UPDATE log_heads SET edge = zeroblob(length(edge))")
    db.close()
    res = run(dirs, "checkpoint", code=1)
    assert "LOG_INCONSISTENT" in res.output and "does not extend" in res.output
    result = json.loads(run(dirs, "verify", "--tenant-wide", code=1).stdout)
    assert result["problems"][0]["code"] in {"content_changed", "root_mismatch"}


@pytest.mark.parametrize("scope", ["trace", "session", "tenant"])
def test_export_bundle_round_trip_and_tampered_bundle(dirs: dict[str, Any], scope: str,
                                                      tmp_path: Path) -> None:
    out = tmp_path / f"{scope}.jsonl"
    extra = {"trace": ["--trace-id", dirs["trace"]], "session": ["--session-id", "s1"],
             "tenant": []}[scope]
    run(dirs, "export", "--bundle", *extra, "-o", str(out))
    ok = CliRunner().invoke(main, ["verify-bundle", str(out), "--json"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["valid"] and report["scope"] == scope and report["entries_checked"] > 0
    if shutil.which("node") is not None or os.environ.get("CI") == "true":
        js = _node_check(out)
        assert js.returncode == 0 and json.loads(js.stdout) == [], js.stdout + js.stderr
    lines = out.read_bytes().splitlines()
    i = next(n for n, line in enumerate(lines) if orjson.loads(line)["type"] == "entry"
             and orjson.loads(line)["entry"]["kind"] == "step")
    item = orjson.loads(lines[i])
    item["entry"]["record"]["content"] = "rewritten"
    lines[i] = orjson.dumps(item)
    out.write_bytes(b"\n".join(lines) + b"\n")
    bad = CliRunner().invoke(main, ["verify-bundle", str(out), "--json"])
    assert bad.exit_code == 1
    codes = {p["code"] for p in json.loads(bad.stdout)["problems"]}
    assert "content_changed" in codes, codes
    if shutil.which("node") is not None or os.environ.get("CI") == "true":
        js = _node_check(out)  # the JavaScript checker names the break too
        assert js.returncode == 1 and any(p.startswith("chain|") or
                                          p.startswith("bad_inclusion_proof|")
                                          for p in json.loads(js.stdout)), js.stdout


def _node_check(path: Path) -> subprocess.CompletedProcess[str]:
    script = Path(__file__).parents[1] / "vectors" / "check_bundle.mjs"
    return subprocess.run(["node", str(script), str(path)], capture_output=True, text=True,
                          timeout=120, check=False)


def test_serve_signs_checkpoints_on_its_interval(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "TRACEGRAPH_KEY_DIR": str(tmp_path / "keys")}
    env.pop("TRACEGRAPH_SIGNING_KEY", None)
    proc = subprocess.Popen([SCRIPT, "serve", "--port", str(port), "--data-dir",
                             str(tmp_path / "data"), "--checkpoint-interval", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_until_serving(url, proc)

        def gql(query: str) -> Any:
            r = httpx.post(f"{url}/graphql", json={"query": query}, timeout=30)
            assert r.status_code == 200 and "errors" not in r.json(), r.text
            return r.json()["data"]

        gql('mutation { startTrace(input: {traceId: "iv-1", sessionId: "iv"}) { traceId } }')
        deadline = time.monotonic() + 30
        while not (cps := gql("{ checkpoints { size } }")["checkpoints"]):
            assert time.monotonic() < deadline, "no checkpoint signed within 30 s"
            time.sleep(0.2)
        assert cps == [{"size": 1}]
        time.sleep(2.5)  # the log did not grow: nothing more is signed
        assert gql("{ checkpoints { size } }")["checkpoints"] == [{"size": 1}]
        v = gql('{ verifyTrace(traceId: "iv-1") { valid checkpoint { size } } }')
        assert v["verifyTrace"] == {"valid": True, "checkpoint": {"size": 1}}
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_checkpoints_deleted_from_the_database_are_still_trusted_from_the_journal(
        dirs: dict[str, Any]) -> None:
    cp = json.loads(run(dirs, "checkpoint").stdout)
    db = sqlite3.connect(dirs["data"] / "tracegraph.sqlite3", isolation_level=None)
    assert db.execute("DELETE FROM checkpoints").rowcount == 1
    db.execute("DROP TRIGGER entries_no_update")  # a dropped trigger changes nothing either
    db.close()
    result = json.loads(run(dirs, "verify", "--tenant-wide").stdout)
    assert result["valid"] and result["checkpoint"]["root_hash"] == cp["root_hash"]


def test_badges_are_kept_beside_the_journal_for_the_whole_deployment(
        dirs: dict[str, Any]) -> None:
    from tracegraph.api.service.audit import AuditService
    from tracegraph.api.service.signing import LogSigning

    cp = json.loads(run(dirs, "checkpoint").stdout)
    run(dirs, "verify", "--session-id", "s1")
    service = open_service("embedded", data_dir=dirs["data"])
    location = f"embedded store in {dirs['data']}"
    signing = LogSigning.load(key_dir=dirs["keys"], data_dir=dirs["data"], environ={})
    audit = AuditService(service, signing.for_store(location))
    try:  # another process (a server) reads what the CLI's verification found
        badge = audit.last_verification(TENANT, dirs["trace"])
        assert badge is not None and badge.valid and badge.checkpoint is not None
        assert badge.checkpoint.root_hash == cp["root_hash"]
        assert audit.last_verification(TENANT, dirs["other"]) is None  # other session
    finally:
        audit.close()
        service.close()


def test_journals_of_tenant_ids_that_are_no_file_name_stay_in_the_journal_folder(
        tmp_path: Path) -> None:
    """The API accepts only plain ids as tenants, but a store used directly may hold others
    (``a/0``, ``../x``): each gets one journal file inside the folder, apart from the rest."""
    from tracegraph.api.service.audit import AuditService
    from tracegraph.api.service.signing import LogSigning
    from tracegraph.api.service.traces import TraceService
    from tracegraph.graph.embedded import EmbeddedStore

    service = TraceService(EmbeddedStore(tmp_path / "data"))
    signing = LogSigning.load(key_dir=tmp_path / "keys", environ={})
    audit = AuditService(service, signing)
    tenants = ["a", "a/0", "../x", "a.b"]
    for t in tenants:
        small_trace(service, t)
    audit.checkpoint_grown()
    paths = {t: signing.journal_path(t) for t in tenants}
    assert len(set(paths.values())) == len(tenants)
    for t, path in paths.items():
        assert path.parent == signing.store_dir and path.exists(), t
        latest = audit.latest_checkpoint(t)
        assert latest is not None and latest.checkpoint.size > 0
    assert paths["a.b"].name == "a.b.checkpoints.jsonl"  # (valid ids keep their names)
    audit.close()
    service.close()


def test_one_tenant_that_cannot_be_signed_leaves_the_others_signed(tmp_path: Path) -> None:
    """A round of the interval checkpointer (and ``checkpoint --all-tenants``) signs every
    tenant it can: a tenant whose log was rewritten, or whose id makes no log origin (a
    space) or no journal file name of its own (too long), is reported with its reason, and
    the tenants after it are signed all the same."""
    from tracegraph.api.service.audit import AuditService
    from tracegraph.api.service.signing import LogSigning
    from tracegraph.api.service.traces import TraceService
    from tracegraph.graph.embedded import EmbeddedStore

    service = TraceService(EmbeddedStore(tmp_path / "data"))
    signing = LogSigning.load(key_dir=tmp_path / "keys", environ={})
    audit = AuditService(service, signing)
    good = ["a", "m", "z"]
    bad = {"a b": "origin", "/" * 200: "long"}
    for t in [*good, *bad]:
        small_trace(service, t)
    first = audit.checkpoint_grown()
    assert sorted(c.origin.split("/", 1)[1] for c in first.made) == sorted(
        [*good, "/" * 200])  # (a long id is signed too: its journal has a name)
    assert set(first.failed) == {"a b"} and "log origin" in first.failed["a b"]
    for t in good:
        small_trace(service, t)
    # the log of "m" rewritten behind the service's back: it no longer extends its checkpoint
    db = sqlite3.connect(tmp_path / "data" / "tracegraph.sqlite3", isolation_level=None)
    db.execute("DROP TRIGGER log_runs_no_update")
    db.execute("UPDATE log_runs SET hashes = zeroblob(length(hashes)) WHERE tenant_id = 'm'")
    db.execute("UPDATE log_heads SET edge = zeroblob(length(edge)) WHERE tenant_id = 'm'")
    db.close()
    second = audit.checkpoint_grown()
    assert sorted(c.origin.split("/", 1)[1] for c in second.made) == ["a", "z"]
    assert set(second.failed) == {"a b", "m"}
    assert "does not extend its last signed checkpoint" in second.failed["m"]
    audit.close()
    service.close()


def test_checkpoint_all_tenants_names_a_tenant_it_cannot_sign_and_exits_1(
        tmp_path: Path) -> None:
    """``checkpoint --all-tenants`` prints what it signed and names on standard error the
    tenant it could not sign (an id that makes no log origin), with exit status 1."""
    from tracegraph.api.service.traces import TraceService
    from tracegraph.graph.embedded import EmbeddedStore

    service = TraceService(EmbeddedStore(tmp_path / "data"))
    for t in ("ok", "a b"):
        small_trace(service, t)
    service.close()
    res = CliRunner().invoke(main, ["checkpoint", "--all-tenants", "--data-dir",
                                    str(tmp_path / "data"), "--key-dir", str(tmp_path / "keys")])
    assert res.exit_code == 1, res.output
    assert [c["origin"] for c in json.loads(res.stdout)] == ["tracegraph/ok"]
    assert "no checkpoint for tenant 'a b': log origin" in res.stderr


def test_the_interval_checkpointer_logs_each_tenant_it_cannot_sign(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tracegraph.api.checkpointer import Checkpointer
    from tracegraph.api.service.audit import AuditService
    from tracegraph.api.service.signing import LogSigning
    from tracegraph.api.service.traces import TraceService
    from tracegraph.graph.embedded import EmbeddedStore

    service = TraceService(EmbeddedStore(tmp_path / "data"))
    audit = AuditService(service, LogSigning.load(key_dir=tmp_path / "keys", environ={}))
    for t in ("a b", "ok"):
        small_trace(service, t)
    with caplog.at_level("INFO", logger="tracegraph.checkpointer"):
        assert Checkpointer(audit, 0).tick() == 1
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].startswith("no checkpoint for tenant 'a b': log origin")
    audit.close()
    service.close()

"""``tracegraph verify-bundle``: the published bundles, offline, with and without a key."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from click.testing import CliRunner
from tracegraph.api.cli import main

BUNDLES = Path(__file__).resolve().parents[1] / "vectors" / "merkle" / "bundles"
KEY = json.loads((BUNDLES.parent / "checkpoint.json").read_text())["public_key"]


def test_a_valid_bundle_passes_and_a_tampered_one_is_named() -> None:
    ok = CliRunner().invoke(main, ["verify-bundle", str(BUNDLES / "valid_session.jsonl")])
    assert ok.exit_code == 0, ok.output
    assert "VALID" in ok.output and "a key the bundle carries" in ok.output
    bad = CliRunner().invoke(main, ["verify-bundle", str(BUNDLES / "changed_content.jsonl")])
    assert bad.exit_code == 1
    assert "content_changed: trace trace-a seq 2" in bad.output


def test_trusted_keys_and_json_output() -> None:
    path = str(BUNDLES / "valid_tenant.jsonl")
    res = CliRunner().invoke(main, ["verify-bundle", path, "--key", KEY, "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["valid"] and report["key_trusted"] and report["checkpoint"]["size"] == 12
    other = base64.b64encode(bytes(32)).decode()
    res = CliRunner().invoke(main, ["verify-bundle", path, "--key", other, "--json"])
    assert res.exit_code == 1
    assert [p["code"] for p in json.loads(res.output)["problems"]] == ["unknown_key_id"]
    res = CliRunner().invoke(main, ["verify-bundle", path, "--key", "nope"])
    assert res.exit_code == 2 and "--key" in res.output

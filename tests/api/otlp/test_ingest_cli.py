"""``tracegraph ingest FILE``: bulk NDJSON and OTLP JSON files, detected or forced, into the
embedded store or a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner
from tracegraph.api.cli import main
from tracegraph.api.service import open_service

from tests.helpers.live import LiveServer

from .test_otlp_http import _json_body, _json_span

NDJSON_LINES = [
    {"op": "start_trace", "traceId": "cli-1", "agentId": "a"},
    {"op": "record_steps", "traceId": "cli-1", "steps": [{"stepType": "Reasoning"}]},
    {"op": "complete_trace", "traceId": "cli-1", "outcome": "success"},
]


def _write(path: Path, docs: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"\n".join(orjson.dumps(d) for d in docs) + b"\n")
    return path


def _otlp_docs() -> list[dict[str, Any]]:
    root = _json_span("bbb19b7ec3c1b174", "agent", None, {"openinference.span.kind": "AGENT"})
    tool = _json_span("bbb19b7ec3c1b175", "tool", "bbb19b7ec3c1b174",
                      {"openinference.span.kind": "TOOL"})
    return [_json_body(tool), _json_body(root)]  # the child first, in its own request


def test_ndjson_file_into_the_embedded_store(tmp_path: Path) -> None:
    f = _write(tmp_path / "run.ndjson", NDJSON_LINES)
    data = tmp_path / "data"
    r = CliRunner().invoke(main, ["ingest", str(f), "--data-dir", str(data)])
    assert r.exit_code == 0, r.output
    assert orjson.loads(r.stdout[r.stdout.index("{"):]) == {"format": "ndjson", "lines": 3}
    service = open_service("embedded", data_dir=data)
    try:
        trace = service.get_trace("default", "cli-1")
        assert trace is not None and trace.status == "completed"
    finally:
        service.close()


def test_otlp_json_file_is_detected(tmp_path: Path) -> None:
    f = _write(tmp_path / "spans.json", _otlp_docs())
    data = tmp_path / "data"
    r = CliRunner().invoke(main, ["ingest", str(f), "--data-dir", str(data),
                                  "--tenant", "t1"])
    assert r.exit_code == 0, r.output
    summary = orjson.loads(r.stdout[r.stdout.index("{"):])
    assert summary == {"format": "otlp-json", "requests": 2, "rejectedSpans": 0, "spans": 2,
                       "pendingSpans": 0}
    service = open_service("embedded", data_dir=data)
    try:
        steps = service.steps("t1", ["otel-5b8efff798038103d269b633813fc60c-bbb19b7ec3c1b174"])
        assert [s.step_type for s in next(iter(steps.values()))] == ["ToolCall"]
    finally:
        service.close()


def test_bad_line_is_named_and_nothing_stored(tmp_path: Path) -> None:
    lines = [*NDJSON_LINES[:2], {"op": "record_steps", "traceId": "cli-1",
                                 "steps": [{"stepType": "Reasoning", "confidence": 3}]}]
    f = _write(tmp_path / "bad.ndjson", lines)
    data = tmp_path / "data"
    r = CliRunner().invoke(main, ["ingest", str(f), "--data-dir", str(data)])
    assert r.exit_code == 1
    assert "line 3" in r.output and "confidence" in r.output
    service = open_service("embedded", data_dir=data)
    try:
        assert service.get_trace("default", "cli-1") is None
    finally:
        service.close()


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    f = _write(tmp_path / "x.json", [{"hello": 1}])
    r = CliRunner().invoke(main, ["ingest", str(f), "--data-dir", str(tmp_path / "d")])
    assert r.exit_code == 1 and "--format" in r.output


def test_files_to_a_server(tmp_path: Path, server: LiveServer, tenant: str) -> None:
    nd = _write(tmp_path / "run.ndjson", NDJSON_LINES)
    otlp = _write(tmp_path / "spans.json", _otlp_docs())
    for f in (nd, otlp):
        r = CliRunner().invoke(main, ["ingest", str(f), "--url", server.url,
                                      "--tenant", tenant])
        assert r.exit_code == 0, r.output
    data = server.gql("{ traces(first: 10) { edges { node { traceId } } } }", tenant=tenant)
    assert {e["node"]["traceId"] for e in data["traces"]["edges"]} == {
        "cli-1", "otel-5b8efff798038103d269b633813fc60c-bbb19b7ec3c1b174"}

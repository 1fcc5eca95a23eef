"""Truncation keeps size and hash of the original; storage applies it before hashing."""

from __future__ import annotations

import hashlib

from tracegraph.api.service import TraceService
from tracegraph.schema.inputs import StartTraceInput, StepInput
from tracegraph.schema.policy import StoragePolicy
from tracegraph.schema.truncation import TRUNCATION_MARKER, truncate_json, truncate_text


def test_short_text_is_kept() -> None:
    assert truncate_text("hello", 64) == "hello"


def test_long_text_is_cut_with_size_and_hash() -> None:
    original = "ü" * 10_000  # 20,000 bytes
    out = truncate_text(original, 1000)
    assert len(out.encode()) <= 1000
    assert out.startswith("ü" * 100)
    digest = hashlib.sha256(original.encode()).hexdigest()
    assert f"{TRUNCATION_MARKER} original_bytes=20000 sha256={digest}]" in out


def test_large_json_becomes_a_marker_object() -> None:
    value = {"rows": list(range(10_000))}
    out = truncate_json(value, 2048)
    assert out["_truncated"] is True and out["original_bytes"] > 2048
    assert out["preview"].startswith('{"rows":[0,1,2')
    assert truncate_json({"a": 1}, 2048) == {"a": 1}


def test_service_truncates_before_hashing(service: TraceService) -> None:
    svc = TraceService(service.store, StoragePolicy(max_text_bytes=512, max_json_bytes=1024))
    t = svc.start_trace("acme", StartTraceInput(session_id="s"))
    (step,) = svc.record_steps("acme", t.trace_id, [
        StepInput(step_type="Reasoning", content="x" * 100_000,
                  input_data={"blob": "y" * 5000})])
    assert step.content is not None and len(step.content.encode()) <= 512
    assert "original_bytes=100000" in step.content
    assert step.input_data["_truncated"] is True
    assert svc.verify_trace("acme", t.trace_id).valid

"""Redaction: every secret of the corpus, in every field, is absent from the database files."""

from __future__ import annotations

from pathlib import Path

import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.policy import StoragePolicy
from tracegraph.schema.redaction import REDACTED, Redactor

from .corpus import planted
from .secret_corpus import CORPUS, KEYED, KEYED_SECRETS, LITERALS
from .test_redaction_corpus import KNOWN_MISSES


def test_corpus_is_large_and_distinct() -> None:
    assert len(CORPUS) >= 50
    assert len({s for s, _ in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize(("secret", "text"), CORPUS, ids=[f"c{i}" for i in range(len(CORPUS))])
def test_text_redaction(secret: str, text: str) -> None:
    out = Redactor(literals=LITERALS).text(f"before {text} after")
    assert secret not in out
    assert REDACTED in out
    assert out.startswith("before ") and out.endswith(" after")


def test_secret_keys_at_any_depth() -> None:
    out = Redactor().json(KEYED)
    assert out["config"]["db"]["host"] == "db"
    assert out["password"] == REDACTED
    assert out["items"][1]["client_secret"] == REDACTED
    assert not [s for s in KEYED_SECRETS if s in repr(out)]


def test_ordinary_text_is_untouched() -> None:
    r = Redactor()
    for text in ["The key insight: enterprise grew 23% QoQ.", "tokenizer: cl100k_base",
                 "step 01a216f2-a56f-7a73-9f64-31a6729c455c hashed a7cea42de842f63646db490f6d80",
                 "reset your password via the settings page", "https://example.com/docs?page=2"]:
        assert r.text(text) == text


def _all_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.rglob("*")) if p.is_file())


def test_no_secret_reaches_the_database_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    store = EmbeddedStore(data_dir)
    service = TraceService(store, StoragePolicy(
        redactor=Redactor(literals=[*LITERALS, *planted.LITERALS])))
    texts = [t for _, t in CORPUS] + [p.carrier for p in planted.PLANTED]
    blob = "\n".join(texts)
    tenant = "acme"
    t = service.start_trace(tenant, StartTraceInput(
        session_id="sec", agent_id="agent", goal=blob, actor_urn=texts[0],
        metadata={"notes": texts, **KEYED}))
    steps = service.record_steps(tenant, t.trace_id, [
        StepInput(step_type="ToolCall", content=text, input_data={"arg": text, **KEYED},
                  output_data=[text, {"deep": {"deeper": text}}], input_summary=text[:4000],
                  output_summary=text[:4000], alternatives_considered=[text[:4000], "other"],
                  selected_alternative=text[:4000], metadata={"m": text})
        for text in texts
    ] + [StepInput(step_type="Action", input_data=p.payload,
                   output_data=[p.secret if p.bare else p.carrier],
                   model_id=p.secret if p.bare and len(p.secret) <= 256 else None)
         for p in planted.PLANTED])
    service.record_api_call(tenant, t.trace_id, ApiCallInput(
        step_id=steps[0].step_id, endpoint=texts[10][:4000], error=blob))
    service.record_human_input(tenant, t.trace_id, HumanInputInput(question=blob, answer=blob))
    service.complete_trace(tenant, t.trace_id, CompleteTraceInput(
        outcome="failure", final_answer=blob, error_details=blob))
    assert service.verify_trace(tenant, t.trace_id).valid
    store.close()
    stored = _all_bytes(data_dir)
    assert REDACTED.encode() in stored
    leaked = [s for s, _ in CORPUS if s.encode() in stored]
    leaked += [s for s in KEYED_SECRETS if s.encode() in stored]
    leaked += [n for p in planted.PLANTED for n in p.needles if n.encode() in stored
               and not p.carrier.startswith(tuple(KNOWN_MISSES))]
    assert leaked == []


def test_values_that_cannot_hold_a_secret_are_kept_under_secret_keys() -> None:
    from tracegraph.schema.redaction import REDACTED, Redactor

    r = Redactor()
    kept = {"secret": False, "token": True, "api_key": None, "auth": "", "secrets": [],
            "credentials": {}}
    assert r.json(kept) == kept
    hidden = {"password": 0, "pin": 1234, "otp": 1.5, "secrets": ["x"], "token": {"a": 1}}
    assert r.json(hidden) == dict.fromkeys(hidden, REDACTED)


def test_keys_that_redact_alike_keep_both_values() -> None:
    a, b = "ghp_" + "A1b2" * 9, "ghp_" + "C3d4" * 9
    r = Redactor()
    out = r.json({f"token {a}": 1, f"token {b}": 2, "token [REDACTED]": 3, "n": 4})
    assert out == {"token [REDACTED]": 3, "token [REDACTED]#2": 1, "token [REDACTED]#3": 2,
                   "n": 4}
    assert r.json({f"token {a}": 1, f"token {b}": 2}) == {"token [REDACTED]": 1,
                                                          "token [REDACTED]#2": 2}


def test_orgconfig_references_stay_references() -> None:
    r = Redactor()
    kept = {"token": "orgconfig:github.ci", "api_key": "orgconfig:stripe_secret_key",
            "note": "call with api_key=orgconfig:openai_prod"}
    assert r.json(kept) == kept
    # a reference is kept, not what a caller hides in it
    assert r.json({"token": "orgconfig:ghp_" + "A1b2" * 9}) == {"token": "orgconfig:[REDACTED]"}
    assert r.json({"token": "orgconfig: plus a real value"}) == {"token": REDACTED}


def test_text_is_searched_in_its_normal_form() -> None:
    r = Redactor()
    token = "ghp_" + "A1b2" * 9
    hidden = f"pass\u200bword=hunter22 and {token[:8]}\u200d{token[8:]}"
    out = r.text(hidden)
    assert "hunter22" not in out and token[8:] not in out
    wide = "".join(chr(ord(c) + 0xFEE0) for c in "AKIA") + "IOSFODNN7EXAMPLE"
    assert "IOSFODNN7EXAMPLE" not in r.text(f"key id {wide}")
    assert r.json({"pass\u200bword": "x", "\uff30\uff37\uff24": "y"}) == {
        "pass\u200bword": REDACTED, "\uff30\uff37\uff24": REDACTED}

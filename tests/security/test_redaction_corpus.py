"""Redaction against the corpus: recall over every stored field, false positives, refused ids.

Every planted secret (:mod:`.corpus.planted`, over 250 of them) is placed in every kind of
field a record stores; the record must not hold it. The clean corpus (:mod:`.corpus.clean`)
must come out unchanged. Recall and the false positive count are printed (``-s``) and
any regression fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from pydantic import ValidationError
from tracegraph.schema import records
from tracegraph.schema.ids import is_valid_id
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
)
from tracegraph.schema.policy import StoragePolicy
from tracegraph.schema.records import Totals
from tracegraph.schema.redaction import Redactor

from .corpus.clean import PAYLOADS, TEXTS
from .corpus.planted import LITERALS, PLANTED, Planted

POLICY = StoragePolicy(redactor=Redactor(literals=LITERALS))

#: Planted secrets the redactor is known to miss (their carrier's start): provider-specific
#: names that no general rule marks as secret. A new miss fails; a fixed one must leave here.
KNOWN_MISSES = frozenset({'cloudant_key = "', "X-JFrog-Art-Api: "})
#: False positives allowed on the clean corpus.
FALSE_POSITIVE_BUDGET = 0


def _fits(text: str, limit: int) -> bool:
    return len(text.encode()) <= limit


def _short(p: Planted, limit: int) -> str | None:
    """What of ``p`` fits a short field: its carrier, else the secret alone if recognisable."""
    if _fits(p.carrier, limit):
        return p.carrier
    return p.secret if p.bare and _fits(p.secret, limit) else None


def _stored(p: Planted) -> dict[str, Callable[[], dict[str, Any]]]:
    """Each kind of field ``p`` is placed in, and the record that stores it there."""
    c = p.carrier
    json_forms: dict[str, Any] = {
        "input_data string": {"arg": c}, "output_data nested": [c, {"deep": {"deeper": c}}],
        "metadata": {"note": c}, "header pair": {"headers": [["X-Debug", c]]},
    }
    if p.payload is not None:
        json_forms["payload as input_data"] = p.payload
    places: dict[str, Callable[[], dict[str, Any]]] = {
        "goal": lambda: records.trace_started_record(
            StartTraceInput(goal=c), session_id="s", policy=POLICY),
        "content": lambda: records.step_record(
            StepInput(step_type="Reasoning", content=c), step_id="s", policy=POLICY),
        "error": lambda: records.api_call_record(ApiCallInput(error=c), call_id="c",
                                                 policy=POLICY),
        "question and answer": lambda: records.human_input_record(
            HumanInputInput(question=c, answer=c), input_id="i", policy=POLICY),
        "final answer and error details": lambda: records.completion_record(
            CompleteTraceInput(outcome="failure", final_answer=c, error_details=c),
            status="failed", totals=Totals(), models=[], path=[], policy=POLICY),
    }
    for name, value in json_forms.items():
        places[name] = (lambda v=value: records.step_record(
            StepInput(step_type="ToolCall", input_data=v, output_data=v, metadata={"m": v}),
            step_id="s", policy=POLICY))
    short = _short(p, 4096)
    if short is not None:
        places["summaries, alternatives, endpoint"] = lambda: {
            **records.step_record(StepInput(
                step_type="Decision", input_summary=short, output_summary=short,
                alternatives_considered=[short, "other"], selected_alternative=short),
                step_id="s", policy=POLICY),
            **records.api_call_record(ApiCallInput(endpoint=short), call_id="c",
                                      policy=POLICY)}
    for limit, name, make in (
            (512, "actor urn", lambda v: records.trace_started_record(
                StartTraceInput(actor_urn=v), session_id="s", policy=POLICY)),
            (256, "model id", lambda v: records.step_record(
                StepInput(step_type="Action", model_id=v), step_id="s", policy=POLICY)),
            (64, "api type", lambda v: records.api_call_record(
                ApiCallInput(api_type=v), call_id="c", policy=POLICY)),
            (256, "answered by", lambda v: records.human_input_record(
                HumanInputInput(question="q", answered_by=v), input_id="i", policy=POLICY))):
        value = _short(p, limit)
        if value is not None:
            places[name] = lambda make=make, value=value: make(value)
    return places


def _missed(p: Planted) -> list[str]:
    """The fields of which the record still holds ``p``."""
    out = []
    for name, store in _stored(p).items():
        raw = orjson.dumps(store())
        if any(n.encode() in raw for n in p.needles):
            out.append(name)
    return out


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(PLANTED) >= 200
    assert len({p.secret for p in PLANTED}) == len(PLANTED)
    assert len({p.kind for p in PLANTED}) >= 150
    assert len(TEXTS) + len(PAYLOADS) >= 50


def test_recall_over_every_stored_field() -> None:
    missed = {p.carrier: m for p in PLANTED if (m := _missed(p))}
    placements = sum(len(_stored(p)) for p in PLANTED)
    caught = len(PLANTED) - len(missed)
    print(f"\nrecall: {caught}/{len(PLANTED)} planted secrets caught in every field "
          f"({caught / len(PLANTED):.1%}); {placements} placements, "
          f"{sum(map(len, missed.values()))} missed")
    unexpected = {c: m for c, m in missed.items() if not c.startswith(tuple(KNOWN_MISSES))}
    assert unexpected == {}
    fixed = [k for k in KNOWN_MISSES if not any(c.startswith(k) for c in missed)]
    assert fixed == [], "now caught: remove from KNOWN_MISSES"


def test_false_positives_on_ordinary_agent_text() -> None:
    r = POLICY.redactor
    changed = [t for t in TEXTS if r.text(t) != t]
    changed += [repr(p) for p in PAYLOADS if r.json(p) != p]
    print(f"\nfalse positives: {len(changed)} of {len(TEXTS) + len(PAYLOADS)} clean samples")
    assert len(changed) <= FALSE_POSITIVE_BUDGET, changed


ID_FIELDS: list[tuple[type, str, dict[str, Any]]] = [
    (StartTraceInput, "trace_id", {}), (StartTraceInput, "session_id", {}),
    (StartTraceInput, "agent_id", {}), (StartTraceInput, "parent_trace_id", {}),
    (StartTraceInput, "spawned_by_step_id", {}),
    (StepInput, "step_id", {"step_type": "Reasoning"}),
    (StepInput, "depends_on", {"step_type": "Reasoning"}),
    (StepInput, "step_type", {}),
    (ApiCallInput, "call_id", {}), (ApiCallInput, "step_id", {}),
    (HumanInputInput, "input_id", {"question": "q"}),
    (HumanInputInput, "step_id", {"question": "q"}),
]
_ID_SECRETS = [p.secret for p in PLANTED if p.bare and p.kind != "configured literal"
               and is_valid_id(p.secret) and len(p.secret) <= 64 and p.secret[0].isalpha()]


def test_enough_secrets_fit_an_id() -> None:
    assert len(_ID_SECRETS) >= 60


@pytest.mark.parametrize(("model", "name", "extra"), ID_FIELDS,
                         ids=[f"{m.__name__}.{n}" for m, n, _ in ID_FIELDS])
def test_an_id_that_holds_a_secret_is_refused_naming_the_field(
        model: type, name: str, extra: dict[str, Any]) -> None:
    for secret in _ID_SECRETS:
        value: Any = [secret] if name == "depends_on" else secret
        with pytest.raises(ValidationError) as exc:
            model(**extra, **{name: value})
        (err,) = exc.value.errors(include_url=False, include_input=False)
        assert err["loc"][0] == name
        assert "looks like a secret" in str(err["ctx"]["error"])
        assert secret not in str(err["ctx"]["error"])


def test_ordinary_ids_and_step_types_are_accepted() -> None:
    for ok in ("b20251126-r3-root-17", "01a216f2-a56f-7a73-9f64-31a6729c455c", "session:42",
               "agent@acme.example", "8b1118b376c313ed420e5133ba91307817ed52c2"):
        assert StepInput(step_type="Reasoning", step_id=ok).step_id == ok
    for step_type in ("INTENT_ANALYSIS", "tool.search", "PlanStep", "custom:ranker-v2"):
        StepInput(step_type=step_type)


#: Pairs of a record's text fields a token is cut across (the first ends with its start).
_CUT_ACROSS: list[tuple[str, Callable[[str, str], dict[str, Any]]]] = [
    ("step content | inputSummary", lambda a, b: records.step_record(
        StepInput(step_type="Action", content=a, input_summary=b), step_id="s", policy=POLICY)),
    ("step outputSummary | content", lambda a, b: records.step_record(
        StepInput(step_type="Action", output_summary=a, content=b), step_id="s",
        policy=POLICY)),
    ("step modelId | outputData", lambda a, b: records.step_record(
        StepInput(step_type="Action", model_id=a, output_data=b), step_id="s", policy=POLICY)),
    ("API call endpoint | error", lambda a, b: records.api_call_record(
        ApiCallInput(endpoint=a, error=b), call_id="c", policy=POLICY)),
    ("human input answer | question", lambda a, b: records.human_input_record(
        HumanInputInput(question=b, answer=a), input_id="h", policy=POLICY)),
    ("trace goal | actorUrn", lambda a, b: records.trace_started_record(
        StartTraceInput(goal=a, actor_urn=b), session_id="s", policy=POLICY)),
]
_CUTTABLE = [p for p in PLANTED if p.bare and p.kind != "configured literal"]


def test_a_token_cut_across_two_fields_of_a_record_is_caught() -> None:
    """Every bare token, cut in its middle, one half ending a field and the other starting
    another field of the same record: neither half is stored."""
    missed = []
    for p in _CUTTABLE:
        half = len(p.secret) // 2
        head, tail = p.secret[:half], p.secret[half:]
        for name, make in _CUT_ACROSS:
            raw = orjson.dumps(make(f"see {head}", f"{tail} ok")).decode()
            if head in raw or tail in raw:
                missed.append(f"{p.kind} in {name}")
    print(f"\ncut across two fields: {len(_CUTTABLE) * len(_CUT_ACROSS) - len(missed)}/"
          f"{len(_CUTTABLE) * len(_CUT_ACROSS)} caught ({len(_CUTTABLE)} tokens)")
    assert missed == []


def test_ordinary_text_in_neighbouring_fields_is_not_joined_into_a_token() -> None:
    texts = [t for t in TEXTS if len(t) <= 2000]
    changed = []
    for i, a in enumerate(texts):
        b = texts[(i + 1) % len(texts)]
        for name, make in _CUT_ACROSS[:2] + _CUT_ACROSS[3:]:
            raw = orjson.dumps(make(a, b))
            if b"[REDACTED]" in raw:
                changed.append(f"{name}: {a[-40:]!r} | {b[:40]!r}")
    assert changed == []

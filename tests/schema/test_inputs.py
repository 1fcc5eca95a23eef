"""Input model validation: every limit of schema/inputs.py and schema/limits.py, at its boundary.

Each rejection must name the field (the error location, and for JSON payloads the path inside
it) and the limit that was broken; each limit's boundary value itself must be accepted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from tracegraph.schema.enums import LEDGER_STEP_TYPES, StepType
from tracegraph.schema.ids import ID_MAX_LENGTH, is_valid_id, new_id
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
    utc_iso,
)
from tracegraph.schema.limits import (
    MAX_COST_USD,
    MAX_DURATION_MS,
    MAX_JSON_DEPTH,
    MAX_JSON_NODES,
    MAX_LIST_ITEMS,
    MAX_SAFE_INT,
    MAX_SHORT_TEXT,
    MAX_TEXT_BYTES,
    MAX_TOKENS,
    check_json,
    check_text,
)


def rejection(model: type[BaseModel], **kwargs: Any) -> tuple[str, str]:
    """Validate ``kwargs``; expect exactly one error; return (field it names, full message)."""
    with pytest.raises(ValidationError) as info:
        model(**kwargs)
    errors = info.value.errors()
    assert len(errors) == 1, errors
    return str(errors[0]["loc"][0]), str(info.value)


def nested_list(depth: int) -> Any:
    """A leaf value nested inside ``depth`` lists: ``[[...[1]...]]``."""
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def nested_dict(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


# -- numeric ranges ---------------------------------------------------------------------------

STEP = {"step_type": "Reasoning"}

NUMERIC_LIMITS = [
    # model, field, bad value, text naming the limit
    (StepInput, "confidence", 1.0000001, "less than or equal to 1"),
    (StepInput, "confidence", -0.0001, "greater than or equal to 0"),
    (StepInput, "confidence", 2, "less than or equal to 1"),
    (StepInput, "input_tokens", -1, "greater than or equal to 0"),
    (StepInput, "output_tokens", -1, "greater than or equal to 0"),
    (StepInput, "thinking_tokens", -1, "greater than or equal to 0"),
    (StepInput, "input_tokens", MAX_TOKENS + 1, f"less than or equal to {MAX_TOKENS}"),
    (StepInput, "thinking_tokens", MAX_TOKENS + 1, f"less than or equal to {MAX_TOKENS}"),
    (StepInput, "duration_ms", -0.5, "greater than or equal to 0"),
    (StepInput, "duration_ms", MAX_DURATION_MS * 2, "less than or equal to"),
    (ApiCallInput, "latency_ms", -1, "greater than or equal to 0"),
    (ApiCallInput, "request_tokens", -3, "greater than or equal to 0"),
    (ApiCallInput, "response_tokens", -3, "greater than or equal to 0"),
    (ApiCallInput, "response_tokens", MAX_TOKENS + 1, f"less than or equal to {MAX_TOKENS}"),
    (ApiCallInput, "cost_usd", -0.01, "greater than or equal to 0"),
    (ApiCallInput, "cost_usd", MAX_COST_USD * 10, "less than or equal to"),
    (ApiCallInput, "status_code", 1000, "less than or equal to 999"),
    (ApiCallInput, "status_code", -1, "greater than or equal to 0"),
    (CompleteTraceInput, "confidence", 1.5, "less than or equal to 1"),
]


def base_kwargs(model: type[BaseModel]) -> dict[str, Any]:
    if model is StepInput:
        return dict(STEP)
    if model is CompleteTraceInput:
        return {"outcome": "success"}
    if model is HumanInputInput:
        return {"question": "Proceed?"}
    return {}


@pytest.mark.parametrize(("model", "field", "value", "limit"), NUMERIC_LIMITS)
def test_numeric_limit_is_named(
    model: type[BaseModel], field: str, value: float, limit: str
) -> None:
    loc, message = rejection(model, **{**base_kwargs(model), field: value})
    assert loc == field
    assert limit in message


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (StepInput, "confidence", 0.0),
        (StepInput, "confidence", 1.0),
        (StepInput, "confidence", 1),
        (StepInput, "input_tokens", 0),
        (StepInput, "input_tokens", MAX_TOKENS),
        (StepInput, "duration_ms", 0),
        (StepInput, "duration_ms", MAX_DURATION_MS),
        (ApiCallInput, "cost_usd", 0.0),
        (ApiCallInput, "cost_usd", MAX_COST_USD),
        (ApiCallInput, "status_code", 0),
        (ApiCallInput, "status_code", 999),
        (CompleteTraceInput, "confidence", 0),
    ],
)
def test_numeric_boundaries_are_accepted(model: type[BaseModel], field: str, value: float) -> None:
    obj = model(**{**base_kwargs(model), field: value})
    assert getattr(obj, field) == value


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize(
    ("model", "field"),
    [(StepInput, "confidence"), (StepInput, "duration_ms"), (ApiCallInput, "latency_ms"),
     (ApiCallInput, "cost_usd"), (CompleteTraceInput, "confidence")],
)
def test_nan_and_infinity_rejected_in_number_fields(
    model: type[BaseModel], field: str, bad: float
) -> None:
    loc, message = rejection(model, **{**base_kwargs(model), field: bad})
    assert loc == field
    assert "finite number" in message


def test_camel_case_names_are_accepted_and_errors_use_the_name_sent() -> None:
    step = StepInput(stepType="Decision", inputTokens=3, durationMs=1.5, modelId="m")
    assert (step.input_tokens, step.duration_ms, step.model_id) == (3, 1.5, "m")
    loc, message = rejection(StepInput, stepType="Decision", inputTokens=-1)
    assert loc == "inputTokens"
    assert "greater than or equal to 0" in message


# -- ids ---------------------------------------------------------------------------------------

GOOD_IDS = ["a", "0", "A1._:@-x", "run-42:step@7", "x" * ID_MAX_LENGTH, new_id()]
BAD_IDS = ["", "-leading-dash", ".dot", "has space", "slash/inside", "é", "x" * (ID_MAX_LENGTH + 1),
           "trailing-newline\n", "tab\tinside", "semi;colon", "quote'"]
ID_FIELDS = [
    (StartTraceInput, "trace_id"), (StartTraceInput, "session_id"), (StartTraceInput, "agent_id"),
    (StartTraceInput, "parent_trace_id"), (StartTraceInput, "spawned_by_step_id"),
    (StepInput, "step_id"), (ApiCallInput, "step_id"), (ApiCallInput, "call_id"),
    (HumanInputInput, "step_id"), (HumanInputInput, "input_id"),
]


@pytest.mark.parametrize(("model", "field"), ID_FIELDS)
@pytest.mark.parametrize("good", GOOD_IDS)
def test_id_fields_accept_valid_ids(model: type[BaseModel], field: str, good: str) -> None:
    assert getattr(model(**{**base_kwargs(model), field: good}), field) == good
    assert is_valid_id(good)


@pytest.mark.parametrize(("model", "field"), ID_FIELDS)
@pytest.mark.parametrize("bad", BAD_IDS)
def test_id_fields_reject_invalid_ids(model: type[BaseModel], field: str, bad: str) -> None:
    loc, message = rejection(model, **{**base_kwargs(model), field: bad})
    assert loc == field
    assert "should match pattern" in message
    assert not is_valid_id(bad)


def test_depends_on_ids_are_checked_one_by_one() -> None:
    with pytest.raises(ValidationError) as info:
        StepInput(**STEP, depends_on=["ok-1", "not ok"])
    (err,) = info.value.errors()
    assert err["loc"] == ("depends_on", 1)


def test_new_ids_are_uuid7_and_time_ordered() -> None:
    ids = [new_id() for _ in range(200)]
    assert all(len(i) == 36 and i[14] == "7" and i[19] in "89ab" for i in ids)
    assert len(set(ids)) == len(ids)
    # the 48-bit millisecond prefix never goes backwards
    prefixes = [i[:8] + i[9:13] for i in ids]
    assert prefixes == sorted(prefixes)


# -- text sizes -------------------------------------------------------------------------------

LONG_TEXT_FIELDS = [
    (StartTraceInput, "goal"), (StepInput, "content"), (ApiCallInput, "error"),
    (HumanInputInput, "question"), (HumanInputInput, "answer"),
    (CompleteTraceInput, "final_answer"), (CompleteTraceInput, "error_details"),
]
SHORT_TEXT_FIELDS = [
    (StepInput, "input_summary"), (StepInput, "output_summary"),
    (StepInput, "selected_alternative"), (ApiCallInput, "endpoint"),
]


@pytest.mark.parametrize(("model", "field"), LONG_TEXT_FIELDS)
def test_long_text_limit_counts_utf8_bytes(model: type[BaseModel], field: str) -> None:
    kw = base_kwargs(model)
    # exactly the limit in two-byte characters is accepted ...
    at_limit = "é" * (MAX_TEXT_BYTES // 2)
    assert getattr(model(**{**kw, field: at_limit}), field) == at_limit
    # ... one more byte is not, although it is far below the limit in characters
    loc, message = rejection(model, **{**kw, field: at_limit + "a"})
    assert loc == field
    assert f"{MAX_TEXT_BYTES + 1} bytes exceeds the limit of {MAX_TEXT_BYTES} bytes" in message
    assert f"{field}:" in message


@pytest.mark.parametrize(("model", "field"), LONG_TEXT_FIELDS)
def test_long_text_limit_in_ascii(model: type[BaseModel], field: str) -> None:
    kw = base_kwargs(model)
    assert len(getattr(model(**{**kw, field: "a" * MAX_TEXT_BYTES}), field)) == MAX_TEXT_BYTES
    loc, message = rejection(model, **{**kw, field: "a" * (MAX_TEXT_BYTES + 1)})
    assert loc == field
    assert str(MAX_TEXT_BYTES) in message


@pytest.mark.parametrize(("model", "field"), SHORT_TEXT_FIELDS)
def test_short_text_limit(model: type[BaseModel], field: str) -> None:
    kw = base_kwargs(model)
    assert getattr(model(**{**kw, field: "€" * (MAX_SHORT_TEXT // 4)}), field)  # 3 bytes each
    loc, message = rejection(model, **{**kw, field: "€" * (MAX_SHORT_TEXT // 3 + 1)})
    assert loc == field
    assert f"exceeds the limit of {MAX_SHORT_TEXT} bytes" in message


def test_each_alternative_has_the_short_text_limit() -> None:
    with pytest.raises(ValidationError) as info:
        StepInput(**STEP, alternatives_considered=["fine", "x" * (MAX_SHORT_TEXT + 1)])
    (err,) = info.value.errors()
    assert err["loc"] == ("alternatives_considered", 1)
    assert f"limit of {MAX_SHORT_TEXT} bytes" in err["msg"]


@pytest.mark.parametrize("field", ["alternatives_considered", "depends_on"])
def test_list_length_limits(field: str) -> None:
    ok = [f"a{i}" for i in range(MAX_LIST_ITEMS)]
    assert len(getattr(StepInput(**STEP, **{field: ok}), field)) == MAX_LIST_ITEMS
    loc, message = rejection(StepInput, **STEP, **{field: [*ok, "one-more"]})
    assert loc == field
    assert f"at most {MAX_LIST_ITEMS} items" in message


@pytest.mark.parametrize(
    ("model", "field", "limit"),
    [(StepInput, "model_id", 256), (StartTraceInput, "actor_urn", 512),
     (HumanInputInput, "answered_by", 256), (ApiCallInput, "method", 16),
     (ApiCallInput, "api_type", 64)],
)
def test_bounded_strings(model: type[BaseModel], field: str, limit: int) -> None:
    kw = base_kwargs(model)
    assert getattr(model(**{**kw, field: "m" * limit}), field) == "m" * limit
    loc, message = rejection(model, **{**kw, field: "m" * (limit + 1)})
    assert loc == field
    assert f"at most {limit} characters" in message


def test_api_type_must_not_be_empty() -> None:
    loc, message = rejection(ApiCallInput, api_type="")
    assert loc == "api_type"
    assert "at least 1 character" in message


@pytest.mark.parametrize(("model", "field"), LONG_TEXT_FIELDS + SHORT_TEXT_FIELDS)
@pytest.mark.parametrize("bad", ["\ud800", "ok \udfff ok", "\udbff"])
def test_lone_surrogates_rejected_in_text(model: type[BaseModel], field: str, bad: str) -> None:
    loc, message = rejection(model, **{**base_kwargs(model), field: bad})
    assert loc == field
    assert "unicode" in message.lower()


def test_astral_and_combining_text_is_kept_exactly() -> None:
    text = "🚀 naïve \U0001d518\U0001d52b e\u0301 \u2028 \x00 \u202e 漢字"
    assert StepInput(**STEP, content=text).content == text


# -- JSON payloads ----------------------------------------------------------------------------

JSON_FIELDS = [
    (StepInput, "input_data"), (StepInput, "output_data"), (StepInput, "metadata"),
    (StartTraceInput, "metadata"),
]


def as_field_value(field: str, value: Any) -> Any:
    """Metadata must be an object; wrap the payload for those fields."""
    return {"v": value} if field == "metadata" else value


def json_path(field: str, inner: str = "") -> str:
    return f"{field}.v{inner}" if field == "metadata" else f"{field}{inner}"


@pytest.mark.parametrize(("model", "field"), JSON_FIELDS)
def test_json_depth_limit(model: type[BaseModel], field: str) -> None:
    kw = base_kwargs(model)
    extra = 1 if field == "metadata" else 0  # the wrapper object is one level
    ok = as_field_value(field, nested_list(MAX_JSON_DEPTH - extra))
    assert getattr(model(**{**kw, field: ok}), field) == ok
    loc, message = rejection(model, **{**kw, field: as_field_value(
        field, nested_list(MAX_JSON_DEPTH + 1 - extra))})
    assert loc == field
    assert f"nested deeper than {MAX_JSON_DEPTH} levels (limit)" in message
    assert f"{json_path(field)}[0][0]" in message


def test_json_depth_counts_objects_and_lists_alike() -> None:
    assert check_json(nested_dict(MAX_JSON_DEPTH), field="f") == nested_dict(MAX_JSON_DEPTH)
    with pytest.raises(ValueError, match=r"^f(\.k){33}: nested deeper than 32 levels"):
        check_json(nested_dict(MAX_JSON_DEPTH + 1), field="f")


@pytest.mark.parametrize(("model", "field"), JSON_FIELDS)
def test_json_size_limit(model: type[BaseModel], field: str) -> None:
    kw = base_kwargs(model)
    wrappers = 2 if field == "metadata" else 1  # the list itself (and the wrapper object)
    ok = as_field_value(field, list(range(MAX_JSON_NODES - wrappers)))
    assert getattr(model(**{**kw, field: ok}), field) == ok
    loc, message = rejection(model, **{**kw, field: as_field_value(
        field, list(range(MAX_JSON_NODES - wrappers + 1)))})
    assert loc == field
    assert f"{field}: more than {MAX_JSON_NODES} JSON values (limit)" in message


@pytest.mark.parametrize(("model", "field"), JSON_FIELDS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_json_rejects_nan_and_infinity(model: type[BaseModel], field: str, bad: float) -> None:
    payload = as_field_value(field, {"scores": [0.5, bad]})
    loc, message = rejection(model, **{**base_kwargs(model), field: payload})
    assert loc == field
    assert f"{json_path(field, '.scores[1]')}: NaN and infinity are not JSON numbers" in message


@pytest.mark.parametrize(("model", "field"), JSON_FIELDS)
@pytest.mark.parametrize("bad", [MAX_SAFE_INT + 1, -(MAX_SAFE_INT + 1), 10**30, -(2**64)])
def test_json_rejects_ints_beyond_the_safe_range(
    model: type[BaseModel], field: str, bad: int
) -> None:
    loc, message = rejection(model, **{**base_kwargs(model), field: as_field_value(field, [bad])})
    assert loc == field
    assert f"{json_path(field, '[0]')}: integer {bad} is outside ±(2**53-1)" in message


@pytest.mark.parametrize("good", [MAX_SAFE_INT, -MAX_SAFE_INT, 0, 2**31, -(2**40)])
def test_json_keeps_safe_ints(good: int) -> None:
    assert StepInput(**STEP, input_data={"n": good}).input_data == {"n": good}


@pytest.mark.parametrize(("model", "field"), JSON_FIELDS)
def test_json_rejects_lone_surrogates_in_values_and_keys(
    model: type[BaseModel], field: str
) -> None:
    payload = as_field_value(field, {"k": "x\ud83d"})
    loc, message = rejection(model, **{**base_kwargs(model), field: payload})
    assert loc == field
    assert f"{json_path(field, '.k')}: text holds a lone surrogate" in message
    loc, message = rejection(model, **{**base_kwargs(model), field: {"bad\udc00key": 1}})
    assert loc == field
    # pydantic rejects it itself for object-typed fields, check_json for the others
    assert "lone surrogate" in message or "unable to parse raw data as a unicode string" in message


@pytest.mark.parametrize(
    ("value", "what"),
    [({1: "int key"}, "object keys must be strings"), ({"s": {1, 2}}, "set is not a JSON value"),
     ({"b": b"bytes"}, "bytes is not a JSON value"),
     ({"d": datetime(2025, 1, 1, tzinfo=UTC)}, "datetime is not a JSON value")],
)
def test_json_rejects_non_json_values(value: Any, what: str) -> None:
    with pytest.raises(ValueError, match=what):
        check_json(value, field="input_data")


def test_json_normalises_numbers_for_hashing() -> None:
    data = {"integral": 2.0, "neg_zero": -0.0, "frac": 0.25, "big": 1e300, "tiny": 5e-324,
            "nested": [1.0, (3.0, 4.5)], "unsafe_integral": 2.0**60, "bool": True, "none": None}
    out = StepInput(**STEP, input_data=data).input_data
    assert out["integral"] == 2 and type(out["integral"]) is int
    assert out["neg_zero"] == 0 and type(out["neg_zero"]) is int
    assert out["frac"] == 0.25 and out["big"] == 1e300 and out["tiny"] == 5e-324
    assert out["nested"] == [1, [3, 4.5]] and type(out["nested"][1]) is list
    assert type(out["nested"][0]) is int
    # an integral float beyond 2**53 stays a float: as an int it would be outside I-JSON
    assert type(out["unsafe_integral"]) is float
    assert out["bool"] is True and out["none"] is None


def test_json_error_paths_shorten_long_keys() -> None:
    key = "k" * 100
    with pytest.raises(ValueError) as info:
        check_json({key: float("nan")}, field="output_data")
    assert str(info.value).startswith(f"output_data.{'k' * 40}: NaN")


def test_check_text_boundary_and_message() -> None:
    assert check_text("é" * 5, field="f", max_bytes=10) == "é" * 5
    with pytest.raises(ValueError, match=r"^f: 12 bytes exceeds the limit of 10 bytes$"):
        check_text("é" * 6, field="f", max_bytes=10)
    with pytest.raises(ValueError, match="lone surrogate"):
        check_text("\ud800", field="f")


def test_metadata_must_be_an_object() -> None:
    loc, message = rejection(StepInput, **STEP, metadata=[1, 2])
    assert loc == "metadata"
    assert "valid dictionary" in message


# -- unknown fields, step types, statuses -----------------------------------------------------

@pytest.mark.parametrize(
    ("model", "extra"),
    [(StepInput, "stepIndex"), (StepInput, "hash"), (StepInput, "seq"),
     (StartTraceInput, "tenant_id"), (ApiCallInput, "trace_id"), (HumanInputInput, "answer_x"),
     (CompleteTraceInput, "completed_at")],
)
def test_unknown_fields_are_rejected(model: type[BaseModel], extra: str) -> None:
    loc, message = rejection(model, **base_kwargs(model), **{extra: 1})
    assert loc == extra
    assert "Extra inputs are not permitted" in message


@pytest.mark.parametrize("canonical", sorted(LEDGER_STEP_TYPES))
def test_ledger_step_types_match_case_insensitively(canonical: str) -> None:
    for spelling in (canonical, canonical.lower(), canonical.upper(), canonical.swapcase()):
        assert StepInput(step_type=spelling).step_type == canonical


def test_there_are_twelve_ledger_types() -> None:
    assert len(LEDGER_STEP_TYPES) == 12
    assert StepType("FinalAnswer") is StepType.FINAL_ANSWER


@pytest.mark.parametrize(
    "custom", ["INTENT_ANALYSIS", "intent_analysis", "Plan-Step", "tool.call", "x", "ns:Thing",
               "ToolCalls", "Decisionx", "a" * 64],
)
def test_custom_step_types_are_kept_as_given(custom: str) -> None:
    assert StepInput(step_type=custom).step_type == custom


@pytest.mark.parametrize("bad", ["", "1st", "_x", "has space", "a" * 65, "Decision\n", "émoji"])
def test_invalid_step_type_names(bad: str) -> None:
    loc, message = rejection(StepInput, step_type=bad)
    assert loc == "step_type"
    assert "should match pattern" in message


def test_step_type_is_required() -> None:
    loc, message = rejection(StepInput, content="x")
    assert loc == "stepType"  # a missing field is named as clients spell it
    assert "Field required" in message


def test_question_is_required() -> None:
    loc, _ = rejection(HumanInputInput, answer="yes")
    assert loc == "question"


def test_complete_trace_outcome_and_status() -> None:
    loc, message = rejection(CompleteTraceInput, outcome="winning")
    assert loc == "outcome"
    assert "'success', 'partial' or 'failure'" in message
    for status in ("active", "paused"):
        loc, message = rejection(CompleteTraceInput, outcome="success", status=status)
        assert loc == "status"
        assert "completed, failed or cancelled" in message
    assert CompleteTraceInput(outcome="failure", status="cancelled").status == "cancelled"


def test_models_are_frozen() -> None:
    step = StepInput(**STEP)
    with pytest.raises(ValidationError):
        step.confidence = 0.5  # type: ignore[misc]


def test_several_errors_are_all_reported() -> None:
    with pytest.raises(ValidationError) as info:
        StepInput(step_type="x", confidence=7, input_tokens=-1, unknown=True)
    assert {e["loc"][0] for e in info.value.errors()} == {"confidence", "input_tokens", "unknown"}


def test_utc_iso_format() -> None:
    naive = datetime(2025, 3, 4, 5, 6, 7, 89)
    assert utc_iso(naive) == "2025-03-04T05:06:07.000089Z"
    aware = datetime.fromisoformat("2025-03-04T07:06:07.5+02:00")
    assert utc_iso(aware) == "2025-03-04T05:06:07.500000Z"

"""The per-entry shortcuts of redaction give exactly what the full search gives.

``across`` returns a record's fields untouched when they are too short together to hold a
token; ``may_split`` (one gate-word scan of every joined pair in a payload) lets the joint
check of :meth:`Redactor.clean` skip the token search of each pair. Each is checked against
the search it skips, with tokens cut across two fields, two strings of a payload and two
records, and with values over the size limits.
"""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from tracegraph.schema import records
from tracegraph.schema import redaction as r
from tracegraph.schema import redaction_split as rs
from tracegraph.schema import redaction_tokens as rt
from tracegraph.schema.inputs import ApiCallInput, StepInput
from tracegraph.schema.policy import StoragePolicy
from tracegraph.schema.redaction import REDACTED, Redactor

from .secret_corpus import CORPUS

GITHUB = "ghp_1A2b3C4d5E6f7G8h9I0jK1l2M3n4O5p6Q7r8"
#: Bare tokens of the corpus (a run of token characters on their own), to cut in two.
TOKENS = sorted({s for s, _ in CORPUS if rt._TOKEN_CHARS.issuperset(s) and 20 <= len(s) <= 200})
PIECES = ["", "a", "llm", "gpt-4o", "tool-1", "x" * 9, "5b8efff798038103", "ac", "4b1d", ".",
          "ghp_", "1A2b3C4d5E6f7G8h9", "dapi", "eyJ", "sk-", "AKIA", " ", "hello world"]
piece = st.lists(st.sampled_from(PIECES), max_size=4).map("".join)


def _across_without_shortcut(texts: list[str | None]) -> list[str | None]:
    """``across`` as it was before its length shortcut: every pair searched."""
    ends = [(i, e) for i, t in enumerate(texts) if t and (e := rs._end_run(t))]
    starts = [(j, b) for j, t in enumerate(texts) if t and (b := rs._start_run(t))]
    cut = {(i, j) for i, e in ends for j, b in starts
           if i != j and len(e) + len(b) >= 20 and rs._cut_token(e, b)}
    out = list(texts)
    for i, t in enumerate(texts):
        head = any(j == i for _, j in cut)
        tail = any(k == i for k, _ in cut)
        if t is None or not (head or tail):
            continue
        first = len(rs._start_run(t)) if head else 0
        last = len(t) - len(rs._end_run(t)) if tail else len(t)
        if first >= last:
            out[i] = REDACTED
        elif first or last < len(t):
            out[i] = (REDACTED if first else "") + t[first:last] + (REDACTED if last < len(t)
                                                                      else "")
    return out


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.none(), piece), max_size=5))
def test_across_equals_the_search_of_every_pair(texts: list[str | None]) -> None:
    assert rs.across(texts) == _across_without_shortcut(texts)


def test_a_token_cut_across_two_short_fields_is_still_caught() -> None:
    """Two short fields, a token together: past the shortcut, the cut is found."""
    first, second = GITHUB[:12], GITHUB[12:]
    assert rs.across([first, second]) == [REDACTED, REDACTED] != [first, second]
    call = records.api_call_record(ApiCallInput(api_type="llm", endpoint=GITHUB[:20],
                                                error=GITHUB[20:]), call_id="c")
    assert GITHUB[:20] not in orjson.dumps(call).decode()
    assert call["endpoint"] == REDACTED and call["error"] == REDACTED


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(TOKENS), st.integers(1, 199), piece, piece)
def test_may_split_passes_every_pair_that_holds_a_cut_token(token: str, at: int, before: str,
                                                            after: str) -> None:
    at = 1 + at % (len(token) - 1)
    first, second = before.replace(" ", "") + token[:at], token[at:] + after.replace(" ", "")
    joined = (first[-rt.SPLIT_REACH:] + second[:rt.SPLIT_REACH]).encode()
    if rt.split_secrets([first, second]):
        assert rt.may_split([b"x" * 30, joined])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(piece, st.sampled_from(TOKENS).map(lambda t: t[:len(t) // 2]),
                          st.sampled_from(TOKENS).map(lambda t: t[len(t) // 2:])),
                min_size=2, max_size=5),
       st.booleans())
def test_the_joint_check_equals_the_search_of_every_pair(strings: list[str],
                                                         keyed: bool) -> None:
    """``_joins_a_run`` (gate scan first) finds a cut exactly when the exact path of
    :meth:`Redactor.json` replaces one: a list, or an object's values."""
    value: Any = {f"k{i}": s for i, s in enumerate(strings)} if keyed else strings
    encoded = orjson.dumps(value)
    joined = r._joins_a_run(encoded, encoded.translate(rt._RUN_BYTES))
    split = rt.split_secrets([s if r._TOKEN_CHARS.fullmatch(s) else None for s in strings])
    assert joined == bool(split)


def test_a_token_cut_across_two_records_is_left_to_each_record() -> None:
    """Each entry is redacted on its own: halves in two steps' contents stay (neither half
    is a token), while the same halves in one step's two fields are caught."""
    a, b = GITHUB[:20], GITHUB[20:]
    one = records.step_record(StepInput(step_type="Reasoning", content=a), step_id="s1")
    two = records.step_record(StepInput(step_type="Reasoning", content=b), step_id="s2")
    assert (one["content"], two["content"]) == (a, b)
    both = records.step_record(StepInput(step_type="Reasoning", content=a, input_summary=b),
                               step_id="s3")
    assert both["content"] == REDACTED and both["input_summary"] == REDACTED


def test_an_over_limit_value_takes_the_full_path() -> None:
    policy = StoragePolicy(max_text_bytes=64, max_json_bytes=128)
    long = "word " * 40
    step = records.step_record(StepInput(step_type="Reasoning", content=long,
                                         input_data={"ids": ["5b8efff798038103d269b633813fc60c",
                                                             "051581bf3cb55c13"]}),
                               step_id="s", policy=policy)
    assert step["content"] != long and len(step["content"].encode()) <= 64 + 200
    assert step["content"] == policy.text(long)
    call = records.api_call_record(ApiCallInput(api_type="tool", endpoint=long),
                                   call_id="c", policy=policy)
    assert call["endpoint"] == policy.text(long) != long


def test_ids_joined_in_a_payload_are_still_vouched_for() -> None:
    ids = {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "051581bf3cb55c13",
           "name": "llm-0", "parentSpanId": "c4bb86c3d1c42710", "kind": "LLM"}
    assert Redactor().clean(orjson.dumps(ids))
    cut = {"a": GITHUB[:21], "b": GITHUB[21:]}
    assert not Redactor().clean(orjson.dumps(cut))
    assert Redactor().json(cut) == {"a": REDACTED, "b": REDACTED}


@settings(max_examples=300, deadline=None)
@given(piece)
def test_remembered_short_texts_are_what_the_search_gives(s: str) -> None:
    redactor = Redactor(literals=["llmgpt-4o"])
    for text in (s, GITHUB[:20] + s, f"key={s}xyzw", "llm" + "gpt-4o" + s):
        first, again = redactor.text(text), redactor.text(text)
        assert first == again == redactor._normal_text(text)


def test_remembered_times_are_one_instant_each() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    policy = StoragePolicy()
    at = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    plus_one = at.astimezone(timezone(timedelta(hours=1)))
    assert policy.time(at) == policy.time(plus_one) == "2026-01-02T03:04:05.000006Z"
    assert policy.time(at.replace(tzinfo=None)) == "2026-01-02T03:04:05.000006Z"
    assert policy.time(at + timedelta(microseconds=1)) == "2026-01-02T03:04:05.000007Z"


ID_PIECES = ["0123456789abcdef", "5b8efff798038103d269b633813fc60c", "-", ".", "otel-", ".step",
             ".call", "4b1d", "pat", "sat.", "a3-", "dp.pt.", "dt0c01.", ".acc", "pul-", "d"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(ID_PIECES), min_size=1, max_size=12).map("".join),
       st.lists(st.sampled_from(ID_PIECES), min_size=1, max_size=12).map("".join))
def test_may_split_of_ids_passes_every_pair_that_holds_a_cut_token(first: str,
                                                                   second: str) -> None:
    joined = (first[-rt.SPLIT_REACH:] + second[:rt.SPLIT_REACH]).encode()
    if rt.split_secrets([first, second]) or rt.any_token(joined.decode()):
        assert rt.may_split([b"otel-5b8e.step", joined])


def test_a_token_cut_between_two_ids_is_still_found() -> None:
    token = "4b1d" + "0123456789abcdef" * 2 + "012345"
    assert rt.any_token(token)
    ids = [f"otel-{token[:20]}", f"{token[20:]}.step"]
    assert rt.may_split([(ids[0] + ids[1]).encode()])
    assert r._joins_a_run(orjson.dumps(ids), orjson.dumps(ids).translate(rt._RUN_BYTES)) == bool(
        rt.split_secrets(ids))


def test_a_field_whose_own_redaction_took_the_half_gets_no_second_marker() -> None:
    """A whole token ending one field, a word starting another: the word is taken as the
    token's possible other half (the pattern runs on), while the token's own field keeps
    the one marker its own redaction left, not two."""
    key = "sk-abcdefghijklmnopqrstuvwxyz123456"
    step = records.step_record(StepInput(step_type="ToolCall", content="search",
                                         input_data=f"api_key={key}"), step_id="s")
    assert step["input_data"] == f"api_key={REDACTED}"
    assert step["content"] == REDACTED
    assert key not in orjson.dumps(step).decode()

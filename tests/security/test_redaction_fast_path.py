"""The redaction fast path is exactly as strict as the exact path.

``Redactor.clean`` vouches for a whole JSON encoding at once, ``StoragePolicy.untouched``
for all the fields of a step, and a combined regex screens token runs; whenever they let a
value through unchanged, the exact per-string path must also leave it unchanged.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tracegraph.schema import records
from tracegraph.schema import redaction as r
from tracegraph.schema import redaction_tokens as rt
from tracegraph.schema.inputs import StepInput
from tracegraph.schema.policy import StoragePolicy
from tracegraph.schema.redaction import REDACTED, SECRET_KEYS, Redactor

from .secret_corpus import CORPUS, KEYED, LITERALS

REDACTOR = Redactor(literals=LITERALS)

#: Fragments near every edge of the scans: anchors, token runs of 19 and 20 characters,
#: secret keys with separators and odd case, the characters that lower-case to ASCII
#: letters, escapes, literals and the corpus.
FRAGMENTS = [
    "", "the", " ", "\n", "\t", '"', "\\", "\x00", "é", "Σ", "\u017f", "\u0131", "\u0130", "\u212a",
    "to\u212aen", "pa\u0130ss", "key", "KEY", "token", "Token ", "pass", "PassWord=", "pwd=",
    "secret", "bearer ", "basic ", "://", "user:pw@host", "-----BEGIN", "hooks.slack",
    "a" * 19, "b" * 20, "x-y_z.w:v/u+t=s" * 2, "AKIA", "ghp_", "sk-", "=", ":", ",", "@",
    "api_key", "API-KEY", "Api Key", "a_p_i_k_e_y", "ap\u212aey", "refresh_token",
    *LITERALS, LITERALS[0][:6], *(text for _, text in CORPUS[::4]),
    # split tokens, normalisation, references, names by their ending, header pairs
    "AKIAIOSFOD", "NN7EXAMPLE", "ghp_1A2b3C4d5E6f7G8h9", "I0jK1l2M3n4O5p6Q7r8x", "abcdefghij",
    "\u200b", "\u00ad", "\uff21\uff2b\uff29\uff21", "p\u200bw", "orgconfig:stripe_key",
    "db_password", "secretToken", "STRIPE_SECRET_KEY", "smtpPw", "max_tokens", "Authorization",
    "X-Api-Key", "[REDACTED]", "--api-token ", "<apiToken>", '"', ":= ", "wJalrXUtnFEMI/K7MDENG/",
    "bPxRfiCYEXAMPLEKEY", "-----BEGIN PRIVATE KEY-----\nabc", "redis://:p/w@h",
    # hex ids and what is made of them (runs searched only for the token formats that can
    # match them), a token format that can, strings verified whole (a name inside)
    "5b8efff798038103d269b633813fc60c", "051581bf3cb55c13", "4b1d", "4b1d0123456789abcdef",
    "otel-5b8efff798038103d269b633813fc60c-051581bf3cb55c13.step", "-us12",
    "550e8400-e29b-41d4-a716-446655440000", "llm.token_count.prompt", "max_tokens",
    "openinference.span.kind",
]
text = st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join)
keys = st.one_of(text, st.sampled_from(sorted(SECRET_KEYS)),
                 st.sampled_from(["Password", "client-secret", "X_API_KEY", "Pass Word", "PIN",
                                  "db_pass", "cloudant_pw", "name", "value", "key_part_1",
                                  "pass\u200bword", "\uff30ASSWORD", "a", "b"]))
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10**6), st.floats(0.01, 99), text),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_clean_json_is_left_unchanged_by_the_exact_path(value: Any) -> None:
    if REDACTOR.clean(orjson.dumps(value)):
        assert REDACTOR._json(value) == value
    assert REDACTOR.json(value) == REDACTOR._json(value)


@settings(max_examples=800, deadline=None)
@given(text)
def test_clean_text_is_left_unchanged(s: str) -> None:
    if REDACTOR.clean(orjson.dumps(s)):
        assert REDACTOR.text(s) == s


@settings(max_examples=300, deadline=None)
@given(st.lists(text, max_size=4), json_values, json_values)
def test_step_record_fast_path_equals_exact_path(texts: list[str], a: Any, b: Any) -> None:
    policy = StoragePolicy(redactor=REDACTOR, max_text_bytes=300, max_json_bytes=400)
    content = " ".join(texts)
    try:
        inp = StepInput(step_type="Reasoning", content=content, input_data=a, output_data=b,
                        alternatives_considered=texts[:2],
                        selected_alternative=texts[0] if texts else None,
                        metadata={"k": a} if a is not None else None)
    except ValueError:
        return  # not a valid step (e.g. a lone control character the models refuse)
    fast = records.step_record(inp, step_id="s", policy=policy)
    exact = records.step_record(inp, step_id="s", policy=_Exact(
        redactor=REDACTOR, max_text_bytes=300, max_json_bytes=400))
    fast.pop("created_at")
    exact.pop("created_at")
    assert fast == exact


class _Exact(StoragePolicy):
    """A policy subclass: never takes the fast path."""


def test_the_corpus_is_never_vouched_for() -> None:
    for secret, carrier in CORPUS:
        assert not REDACTOR.clean(orjson.dumps(carrier)), secret
        assert not REDACTOR.clean(orjson.dumps({"note": carrier})), secret
    assert not REDACTOR.clean(orjson.dumps(KEYED))
    for literal in LITERALS:
        assert not REDACTOR.clean(orjson.dumps(f"x {literal} y"))


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_every_secret_key_spelling_is_caught(key: str) -> None:
    spellings = {key, key.upper(), key.title(), "_".join(key), "-".join(key.upper()),
                 " ".join(key), key.replace("k", "\u212a")}
    for spelling in spellings:
        assert r._normal_key(spelling) == key
        assert not REDACTOR.clean(orjson.dumps({spelling: "v"})), spelling


def test_only_two_characters_lower_case_to_ascii() -> None:
    """What ``clean`` relies on to look for anchors in the ASCII lower case of bytes."""
    found = [c for c in map(chr, range(0x80, sys.maxunicode + 1))
             if any(ord(x) < 0x80 for x in c.lower())]
    assert found == ["\u0130", "\u212a"]
    assert [c.encode() for c in found] == list(r._LOWERS_TO_ASCII)


def test_minimal_anchors_cover_every_anchor() -> None:
    anchors = {a for _, group, _, _ in r.CONTEXT_PATTERNS for a in group}
    assert all(any(m in a for m in r._MIN_ANCHORS) for a in anchors)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from([*"abcdefxyzAKIQ0123456789_-./:=+",
                                 *(s for s, _ in CORPUS if " " not in s and "\n" not in s)]),
                min_size=1, max_size=12).map("".join))
def test_combined_token_screen_agrees_with_each_pattern(run: str) -> None:
    assert r._any_token(run) == any(rx.search(run) for rx in r._TOKENS)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from([*"0123456789abcdef-.lopst", "4b1d", "dapi", "-us1", "pat",
                                 "sat.", "5b8efff798038103d269b633813fc60c"]),
                min_size=1, max_size=14).map("".join))
def test_id_runs_screen_agrees_with_each_pattern(run: str) -> None:
    assert r._any_token(run) == any(rx.search(run) for rx in r._TOKENS)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from([*"abkqzAKQZ0123456789_-./:=+~", *rt._GATE_WORDS,
                                 *(w.upper() for w in rt._GATE_WORDS),
                                 *(s for s, _ in CORPUS if " " not in s and "\n" not in s)]),
                min_size=1, max_size=16).map("".join))
def test_gated_token_screen_agrees_with_each_pattern(run: str) -> None:
    """Each format searched only behind its required literals and length finds what the
    formats find in a run of token characters."""
    run = "".join(c for c in run if c in rt._TOKEN_CHARS)
    assert rt._screened_token(run) == any(rx.search(run) for rx in rt._TOKENS)


def test_a_hex_run_long_enough_is_still_searched() -> None:
    """(The one token format hex can spell: a Docker Hub-style ``4b1d`` token, 42 chars.)"""
    token = "4b1d" + "0123456789abcdef" * 2 + "012345"
    assert r._any_token(token)
    assert REDACTOR.json({"traceId": token[:32], "spanId": token[32:]}) == {
        "traceId": REDACTED, "spanId": REDACTED}
    assert not REDACTOR.clean(orjson.dumps({"traceId": token[:32], "spanId": token[32:]}))


def test_combined_token_screen_on_the_corpus() -> None:
    for secret, _ in CORPUS:
        assert r._any_token(secret) == any(
            rx.search(secret) for rx in r._TOKENS)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*"0123456789abcdef", "-", "4b1d", "dead", "beef"]),
                min_size=1, max_size=30).map("".join))
def test_hex_id_shortcut_agrees_with_text(s: str) -> None:
    for redactor in (Redactor(), Redactor(literals=["deadbeef"])):
        assert redactor.holds_secret(s) == (redactor.text(s) != s)


def test_a_configured_literal_in_a_uuid_is_still_found() -> None:
    uuid = "0192f1a3-deadbeef-7c3d-8e4f-0a1b2c3d4e5f"
    assert Redactor(literals=["deadbeef"]).holds_secret(uuid)
    assert not Redactor().holds_secret(uuid)


def test_a_token_cut_between_two_strings_is_never_vouched_for() -> None:
    """The joint check passes a pair whose run holds no token without splitting it; a pair
    whose run does (a GitHub token cut in two list items or object values) still fails."""
    cut = ["ghp_1A2b3C4d5E6f7G8h9", "I0jK1l2M3n4O5p6Q7r8x"]
    assert not REDACTOR.clean(orjson.dumps(cut))
    assert not REDACTOR.clean(orjson.dumps({"a": cut[0], "b": cut[1]}))
    assert REDACTOR.json(cut) == [REDACTED, REDACTED]
    ids = {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "051581bf3cb55c13"}
    assert REDACTOR.clean(orjson.dumps(ids))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"\x00", b"\x01", b"\x01" * 19, b"\x01" * 20, b"\x00" * 3]),
                max_size=12).map(b"".join))
def test_long_runs_are_the_regex_spans(runs: bytes) -> None:
    assert list(r._long_runs(runs)) == [m.span() for m in r._LONG_RUN.finditer(runs)]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*"0123456789abcdef-.lopst", "4b1d", "dapi", "pat", "sat.",
                                 "pass", "otel-", "pul-", "0123456789abcdef" * 2]),
                min_size=1, max_size=20).map("".join))
def test_id_shortcut_agrees_with_text(s: str) -> None:
    assert r._ID_TEXT_KEPT
    redactor = Redactor()
    assert redactor.holds_secret(s) == (redactor.text(s) != s)
    token = "4b1d" + "0123456789abcdef" * 2 + "012345"
    assert redactor.holds_secret(f"otel-{token}.step")


@pytest.mark.parametrize("encoded", [
    b"12345678901234567890123", b'"abcdefghijklmnopqrstuvwxyz"', b"[12345678901234567890123]",
    b'{"a":12345678901234567890123}'])
def test_clean_of_a_token_run_at_either_end_of_the_text(encoded: bytes) -> None:
    """A run of 20 or more token characters at the very start or end of the scanned text
    (a top-level long number): vouched for as the exact path decides, without an error
    (compiled by mypyc, a slice from index -1 raised SystemError)."""
    value = orjson.loads(encoded)
    vouched = r.Redactor().clean(encoded)  # (False: not vouched for, the exact path decides)
    assert not vouched or r.Redactor().json(value) == value

"""canonical_json is RFC 8785: known answers from the RFC and a property test against rfc8785.

The property test is the proof behind the fast path: for every generated JSON value that the
reference implementation (``rfc8785``) accepts, ``canonical_json`` returns the same bytes, and
whenever ``_fast_domain`` admits a value, plain ``orjson`` with sorted keys does too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import struct
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tracegraph.schema.canonical import _fast_domain, canonical_json, json_number, optimistic_json
from tracegraph.schema.chain import GENESIS_PREV_HASH, hash_matches, seal, seal_encoded

# -- known answers (RFC 8785, section 3.2.2 / 3.2.3 and Appendix B) ---------------------------

RFC_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def from_hex(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


@pytest.mark.parametrize(("bits", "expected"), RFC_NUMBERS)
def test_rfc8785_number_serialization(bits: str, expected: str) -> None:
    x = from_hex(bits)
    assert canonical_json(x) == expected.encode()
    assert canonical_json([x]) == f"[{expected}]".encode()


def test_rfc8785_sample_object() -> None:
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json(value) == expected.encode("utf-8")


def test_rfc8785_property_sorting_by_utf16_code_units() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    out = canonical_json(value).decode("utf-8")
    keys = list(orjson.loads(out))
    assert keys == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    # code-point order (what orjson sorts by) differs here, so this value must not be fast
    assert not _fast_domain(value)
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) != out.encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1.0, b"1"), (-0.0, b"0"), (1e21, b"1e+21"), (1e-7, b"1e-7"), (123456789012345.0,
     b"123456789012345"), (0.1, b"0.1"), ({"a": 2.0}, b'{"a":2}'), ("\u2028", '"\u2028"'.encode()),
     ("\x7f", b'"\x7f"'), ("\x1f", b'"\\u001f"'), ("\x08\t\n\x0c\r", b'"\\b\\t\\n\\f\\r"'),
     ("</script>", b'"</script>"'), (MAXI := 2**53 - 1, str(MAXI).encode())],
)
def test_edge_values(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected
    assert rfc8785.dumps(value) == expected


_BOUNDARIES = [1e-7, 1e-6, 1e-5, 1e-4, 1e14, 1e15, 1e16, 1e20, 1e21, 2.0**52, 2.0**53]


@pytest.mark.parametrize("edge", _BOUNDARIES)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_fast_domain_boundaries(edge: float, sign: float) -> None:
    """Around every place where the formatting rules change, fast and exact agree."""
    for x in (math.nextafter(edge, 0.0), edge, math.nextafter(edge, math.inf), edge * 3.3):
        x *= sign
        reference = rfc8785.dumps(x)
        assert canonical_json(x) == reference
        if _fast_domain(x):
            assert orjson.dumps(x) == reference, x


@pytest.mark.parametrize("value", [2**53, -(2**53), 10**20, [1, {"x": 2**63}]])
def test_values_outside_i_json_are_refused(value: Any) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        rfc8785.dumps(value)
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), [float("-inf")]])
def test_non_finite_floats_are_refused(value: Any) -> None:
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json(value)


def test_json_number() -> None:
    assert json_number(3.0) == 3 and type(json_number(3.0)) is int
    assert json_number(-0.0) == 0 and type(json_number(-0.0)) is int
    assert type(json_number(2.0**53)) is float  # beyond I-JSON integers: stays a float
    assert json_number(0.5) == 0.5


# -- the property test ------------------------------------------------------------------------

#: characters that stress escaping and key order: controls, quotes, BMP above the surrogates,
#: astral characters (UTF-16 surrogate pairs sort before U+E000..U+FFFF), noncharacters.
_TRICKY = [
    "a", "B", "z", "\x00", "\x1f", "\x7f", '"', "\\", "/", "\u0080", "é", "\u2028", "\u2029",
    "\ud7ff", "\ue000", "\uf8ff", "\ufb33", "\ufeff", "\uff01", "\ufffd", "\uffff",
    "\U00010000", "\U0001f600", "\U0001f680", "\U0010ffff", "漢",
]
_chars = st.sampled_from(_TRICKY) | st.characters(exclude_categories=("Cs",))
strings = st.text(_chars, max_size=12) | st.text(max_size=40)
keys = st.text(_chars, max_size=4)

_MAX_SAFE = 2**53 - 1
integers = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-_MAX_SAFE, _MAX_SAFE),
    st.sampled_from([_MAX_SAFE, -_MAX_SAFE, _MAX_SAFE + 1, -_MAX_SAFE - 1, 2**63, -(2**64)]),
    st.integers(),  # beyond the safe range too: the reference must refuse those
)


def _scaled(m: float, e: int) -> float:
    try:
        return m * 10.0**e
    except OverflowError:
        return m


floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),  # every magnitude, subnormals included
    st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True,
              min_value=-1e-300, max_value=1e-300),
    st.builds(_scaled, st.floats(-10, 10, allow_nan=False), st.integers(-30, 30)),
    st.integers(-(2**60), 2**60).map(float),  # integral floats
    st.sampled_from([0.0, -0.0, 1e-6, 9.999999999999999e-7, 1e15, 999999999999999.9, 1e21,
                     5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1,
                     0.30000000000000004, 1.5, -1.5, 2.0**53, 2.0**53 + 2]),
    st.builds(lambda b: struct.unpack(">d", b)[0], st.binary(min_size=8, max_size=8)).filter(
        math.isfinite),
)
scalars = st.none() | st.booleans() | integers | floats | strings
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=20,
)


def _reference(value: Any) -> bytes | None:
    try:
        out: bytes = rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        return None
    return out


@settings(max_examples=2000, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(json_values)
@example({"\uff01": 1, "\U0001f600": 2})
@example([1.0, -0.0, 1e21, 1e-7, 5e-324])
@example({"a": 2**53})
def test_canonical_json_equals_the_reference(value: Any) -> None:
    reference = _reference(value)
    if reference is None:
        # the reference refuses it (an integer outside I-JSON): so must canonical_json
        with pytest.raises(rfc8785.CanonicalizationError):
            canonical_json(value)
        assert not _fast_domain(value)
        return
    assert canonical_json(value) == reference
    if _fast_domain(value):
        # the fast path's proof obligation: orjson alone is RFC 8785 on this domain
        assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == reference
        assert optimistic_json(value) == reference


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, scalars, max_size=8))
def test_sealed_entries_verify_whatever_their_content(record: dict[str, Any]) -> None:
    if _reference(record) is None:
        return
    entry = seal("tenant", "trace", 0, GENESIS_PREV_HASH, "step", record)
    assert hash_matches(entry)
    changed = {**record, "__extra__": 1}
    assert not hash_matches(seal("tenant", "trace", 0, GENESIS_PREV_HASH, "step", changed)
                            .__class__(**{**_fields(entry), "record": changed}))


def _fields(entry: Any) -> dict[str, Any]:
    return {f.name: getattr(entry, f.name) for f in dataclasses.fields(entry) if f.init}


@settings(max_examples=1000, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(json_values, strings, strings, strings, strings,
       st.integers(0, 3) | st.integers(2**53 - 3, 2**53 + 3))
@example({"a": 1.0}, "t", "tr", "step", GENESIS_PREV_HASH, 2**53)
@example({"\U0001f600": 1, "\uff01": 0.5}, "\U0001f600", "é", "k\"\\", "", 7)
def test_sealed_bytes_are_the_reference_of_the_hashed_object(
        record: Any, tenant: str, trace: str, kind: str, prev: str, seq: int) -> None:
    """seal_encoded writes the hashed object from its fields' own canonical forms: the same
    bytes as the reference encoding of the whole object, for every chain, in every entry."""
    items = [(kind, record), ("api_call", {"n": 1})]
    obj = {"version": 1, "tenant_id": tenant, "trace_id": trace, "seq": seq,
           "prev_hash": prev, "kind": kind, "record": record}
    reference = _reference(obj)
    if reference is None or seq + 1 > 2**53 - 1:
        with pytest.raises(rfc8785.CanonicalizationError):
            seal_encoded(tenant, trace, seq, prev, items)
        return
    (first, body), (second, body2) = seal_encoded(tenant, trace, seq, prev, items)
    assert body == reference
    assert first.hash == hashlib.sha256(b"\x00" + reference).hexdigest()
    assert body2 == rfc8785.dumps({**obj, "seq": seq + 1, "prev_hash": first.hash,
                                   "kind": "api_call", "record": {"n": 1}})
    assert hash_matches(first) and hash_matches(second)

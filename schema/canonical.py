"""RFC 8785 (JSON Canonicalization Scheme) bytes, fast.

The reference implementation (the ``rfc8785`` package) is exact but slow. For the values
tracegraph stores almost always — strings, integers in the I-JSON range, floats of
moderate magnitude, keys in the Basic Multilingual Plane — ``orjson`` with sorted keys
produces the very same bytes, about twenty times faster. :func:`canonical_json` checks that
a value is inside that proven domain and falls back to the reference otherwise; a
hypothesis property test (``tests/schema/test_canonical.py``) checks both always agree.

Outside the fast domain (and where the reference differs from ``orjson``):

* integral floats (``1.0`` is ``1`` in RFC 8785, ``1.0`` in orjson) and ``-0.0``;
* floats below 1e-5 or from 1e15 in magnitude (exponent formatting: orjson writes ``1e-6``
  where RFC 8785 writes ``0.000001``, for every magnitude in [1e-6, 1e-5));
* object keys outside the BMP (RFC 8785 sorts by UTF-16 code units, orjson by code points);
* integers beyond 2**53 - 1 (RFC 8785 rejects them) and strings orjson cannot encode.
"""

from __future__ import annotations

from typing import Any

import orjson
import rfc8785

_SORTED = orjson.OPT_SORT_KEYS
_MAX_SAFE_INT = 2**53 - 1
_BMP_END = "\U00010000"


def _fast_domain(value: Any) -> bool:
    """True when ``orjson`` with sorted keys is byte-identical to RFC 8785 for ``value``."""
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        t = type(v)
        if t is dict:
            for k in v:
                if type(k) is not str or (not k.isascii() and max(k) >= _BMP_END):
                    return False
            items = v.values()
        elif t is list or t is tuple:
            items = v
        elif t is str or v is None or t is bool:
            continue
        elif t is int:
            if -_MAX_SAFE_INT <= v <= _MAX_SAFE_INT:
                continue
            return False
        elif t is float:
            a = abs(v)
            if 1e-5 <= a < 1e15 and not v.is_integer():
                continue
            return False
        else:
            return False
        for item in items:  # (strings and integers, most members, checked here)
            t = type(item)
            if t is str or item is None or t is bool:
                continue
            if t is int:
                if -_MAX_SAFE_INT <= item <= _MAX_SAFE_INT:
                    continue
                return False
            push(item)
    return True


def canonical_json(value: Any) -> bytes:
    """Return the RFC 8785 canonical JSON bytes of ``value``.

    >>> canonical_json({"b": 1.0, "a": [0.5, "é"]})
    b'{"a":[0.5,"\\xc3\\xa9"],"b":1}'
    """
    if _fast_domain(value):
        try:
            return orjson.dumps(value, option=_SORTED)
        except orjson.JSONEncodeError:
            pass
    result: bytes = rfc8785.dumps(value)
    return result


def optimistic_json(value: Any) -> bytes:
    """``orjson`` bytes with sorted keys: equal to RFC 8785 inside the fast domain.

    Verification hashes these first and only recomputes with :func:`canonical_json` when the
    hash does not match, so a correct entry costs one ``orjson`` call and a tampered one is
    still judged by the exact canonical form.
    """
    return orjson.dumps(value, option=_SORTED)


def json_number(x: float) -> int | float:
    """Normalise a float the way JSON sees it: integral values become ints, -0.0 becomes 0."""
    if x.is_integer() and abs(x) <= _MAX_SAFE_INT:
        return int(x)
    return x

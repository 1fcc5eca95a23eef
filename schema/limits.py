"""Input limits and the JSON payload check every free-form JSON field passes through."""

from __future__ import annotations

import math
from typing import Any

from .canonical import json_number

#: Largest text field accepted (content, goal, final answer...). Storage then truncates to
#: the policy's ``max_text_bytes`` (64 KB by default), keeping size and hash in a marker.
MAX_TEXT_BYTES = 4 * 1024 * 1024
MAX_SHORT_TEXT = 4096  # summaries, alternatives, questions' labels, endpoints
MAX_JSON_DEPTH = 32
MAX_JSON_NODES = 20_000
MAX_LIST_ITEMS = 100  # alternatives, dependsOn
MAX_BATCH_STEPS = 1000  # steps per recordSteps call
MAX_TOKENS = 10**9
MAX_DURATION_MS = 10.0**12
MAX_COST_USD = 10.0**9
MAX_SAFE_INT = 2**53 - 1

JSONValue = Any


def check_json(value: Any, *, field: str) -> Any:
    """Validate a free-form JSON value and return it normalised for hashing.

    Rejects NaN and infinity, integers outside the I-JSON range (±2**53-1, which RFC 8785
    requires), lone surrogates, non-string keys, nesting deeper than :data:`MAX_JSON_DEPTH`
    and more than :data:`MAX_JSON_NODES` values. Integral floats become ints (JSON does not
    tell them apart). Raises ``ValueError`` naming the path inside ``field`` and the limit.

    A plain value is checked and copied by :func:`_plain_json`, which keeps no paths; anything
    it does not vouch for is walked again by :func:`_walked_json`, which names the path and
    the limit.
    """
    try:
        return _plain_json(value)
    except _NotPlain:
        return _walked_json(value, field)


def _walked_json(value: Any, field: str) -> Any:
    """:func:`check_json` value by value, each with its path for the error message."""
    nodes = 0

    def walk(v: Any, path: str, depth: int) -> Any:
        nonlocal nodes
        nodes += 1
        if nodes > MAX_JSON_NODES:
            raise ValueError(f"{field}: more than {MAX_JSON_NODES} JSON values (limit)")
        if depth > MAX_JSON_DEPTH:
            raise ValueError(f"{path}: nested deeper than {MAX_JSON_DEPTH} levels (limit)")
        t = type(v)
        if v is None or t is bool:
            return v
        if t is str:
            _check_text(v, path)
            return v
        if t is int:
            if -MAX_SAFE_INT <= v <= MAX_SAFE_INT:
                return v
            raise ValueError(f"{path}: integer {v} is outside ±(2**53-1), the I-JSON range")
        if t is float:
            if math.isnan(v) or math.isinf(v):
                raise ValueError(f"{path}: NaN and infinity are not JSON numbers")
            return json_number(v)
        if t is dict:
            out: dict[str, Any] = {}
            for k, item in v.items():
                if type(k) is not str:
                    raise ValueError(f"{path}: object keys must be strings")
                _check_text(k, f"{path}.{k[:40]}")
                out[k] = walk(item, f"{path}.{k[:40]}", depth + 1)
            return out
        if t is list or t is tuple:
            return [walk(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(v)]
        raise ValueError(f"{path}: {t.__name__} is not a JSON value")

    return walk(value, field, 0)


class _NotPlain(Exception):
    """Raised by :func:`_plain_json` for anything :func:`check_json` must look at itself."""


def _plain_json(value: Any) -> Any:
    """What :func:`check_json` returns for ``value``, or :class:`_NotPlain`.

    The same walk without paths: leaves are checked in their container's loop, ASCII text
    needs no encoding check, and anything unusual (a float that is not finite, an integer
    outside the I-JSON range, a non-ASCII key, text that does not encode, a container at
    the depth limit, too many values, a type that is not JSON) is left to ``check_json``.
    """
    t = type(value)
    if t is str:
        if not value.isascii():
            _encodes(value)
        return value
    if t is int:
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return value
        raise _NotPlain
    if value is None or t is bool:
        return value
    nodes = 1

    def walk(v: Any, t: type, depth: int) -> Any:
        nonlocal nodes
        if t is float:
            if math.isfinite(v):
                return json_number(v)
            raise _NotPlain
        if depth >= MAX_JSON_DEPTH or (t is not dict and t is not list and t is not tuple):
            raise _NotPlain
        nodes += len(v)
        if nodes > MAX_JSON_NODES:
            raise _NotPlain
        if t is dict:
            out: dict[str, Any] = {}
            for k, item in v.items():
                if type(k) is not str or not k.isascii():
                    raise _NotPlain
                ti = type(item)
                if ti is str:
                    if not item.isascii():
                        _encodes(item)
                elif ti is int:
                    if not -MAX_SAFE_INT <= item <= MAX_SAFE_INT:
                        raise _NotPlain
                elif item is not None and ti is not bool:
                    item = walk(item, ti, depth + 1)
                out[k] = item
            return out
        items: list[Any] = []
        for item in v:
            ti = type(item)
            if ti is str:
                if not item.isascii():
                    _encodes(item)
            elif ti is int:
                if not -MAX_SAFE_INT <= item <= MAX_SAFE_INT:
                    raise _NotPlain
            elif item is not None and ti is not bool:
                item = walk(item, ti, depth + 1)
            items.append(item)
        return items

    return walk(value, t, 0)


def _encodes(s: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise _NotPlain from None


def _check_text(s: str, path: str) -> None:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        # the path may hold the offending key itself: escape it so the message is valid text
        safe = path.encode("utf-8", "backslashreplace").decode("utf-8")
        raise ValueError(f"{safe}: text holds a lone surrogate (invalid Unicode)") from None


def check_text(s: str, *, field: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Validate a text field: valid Unicode and at most ``max_bytes`` UTF-8 bytes."""
    _check_text(s, field)
    size = len(s.encode("utf-8")) if len(s) * 4 > max_bytes else len(s)
    if size > max_bytes:
        raise ValueError(f"{field}: {size} bytes exceeds the limit of {max_bytes} bytes")
    return s

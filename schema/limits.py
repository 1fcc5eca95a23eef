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
    """
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

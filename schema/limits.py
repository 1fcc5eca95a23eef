"""Input limits, the JSON payload check every free-form JSON field passes through, and the
JSON parser every interface reads request bodies with."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from .canonical import json_number
from .errors import InvalidInput

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
#: How far ahead of the server's clock a client-given time (createdAt...) may be by default.
DEFAULT_MAX_FUTURE_SKEW = timedelta(hours=24)

JSONValue = Any
#: Bytes to 0 for digits and space for the rest: a run of 19 zeros is a number of 19 or
#: more digits, the only ones orjson may turn into floats (beyond 64 bits).
_DIGIT_RUNS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_NUMBER = b"0" * 19


def parse_json_exact(data: bytes | str) -> Any:
    """Parse JSON text like ``orjson.loads`` (same errors), except that every integer stays
    exact: orjson reads an integer beyond 64 bits (2**64, -2**63 - 1) as a float, which
    would then pass as a float instead of being refused as an integer beyond ±(2**53-1) by
    :func:`check_json`. Text with a run of 19 or more digits is parsed again by the standard
    library, which keeps integers exact (orjson has validated it already).

    >>> parse_json_exact(b'{"n": 18446744073709551616, "f": 1e19}')
    {'n': 18446744073709551616, 'f': 1e+19}
    """
    value = orjson.loads(data)
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if _LONG_NUMBER in raw.translate(_DIGIT_RUNS):
        return json.loads(raw)
    return value


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


@dataclass(frozen=True)
class ClockWindow:
    """How far a client-given time (``createdAt``, ``answeredAt``) may be from the server's
    clock: at most ``max_future`` ahead (24 hours by default) and ``max_past`` behind (no
    limit by default, so that old runs can be imported); ``None`` is no limit. A time
    without a zone is UTC.

    >>> now = datetime(2026, 1, 1, tzinfo=UTC)
    >>> ClockWindow().check(datetime(2026, 1, 1, 23), field="createdAt", now=now).hour
    23
    >>> try:
    ...     ClockWindow().check(datetime(2026, 1, 3), field="createdAt", now=now)
    ... except InvalidInput as exc:
    ...     print(str(exc).split(" of ")[0])
    createdAt: 2026-01-03T00:00:00Z is more than 24 hours ahead
    """

    max_future: timedelta | None = DEFAULT_MAX_FUTURE_SKEW
    max_past: timedelta | None = None

    def check(self, value: datetime, *, field: str, now: datetime | None = None) -> datetime:
        """``value`` if it is inside the window, else :class:`InvalidInput` naming the field
        and the limit."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        now = now or datetime.now(UTC)
        if self.max_future is not None and value - now > self.max_future:
            raise InvalidInput(
                f"{field}: {_shown(value)} is more than {_span(self.max_future)} ahead of the "
                f"server's clock ({_shown(now)}); the limit is server option "
                "--max-future-skew (seconds)", field=field)
        if self.max_past is not None and now - value > self.max_past:
            raise InvalidInput(
                f"{field}: {_shown(value)} is more than {_span(self.max_past)} behind the server's "
                f"clock ({_shown(now)}); the limit is server option --max-past-skew (seconds)",
                field=field)
        return value


def _shown(dt: datetime) -> str:
    try:
        dt = dt.astimezone(UTC)
    except OverflowError:
        return dt.isoformat()
    return dt.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _span(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    return f"{seconds} seconds"

"""Tokens cut across two text fields of one record (the end of one, the start of another).

:mod:`.redaction` redacts each stored string on its own, and a token cut in two consecutive
strings of one JSON list or object; a record's text fields (a step's content, summaries and
model id, an API call's endpoint and error...) are separate strings, so a token whose first
half ends one field and whose second half starts another is looked for here, once the
fields are redacted one by one (:func:`across`, called by :mod:`.records`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .redaction_tokens import _RUN_BYTES, REDACTED
from .redaction_tokens import split_secrets as _split_secrets

#: How far from a text field's end and start :func:`across` looks for the halves of a token
#: cut across two fields (the token characters that end and start them).
_SPLIT_REACH = 120
#: The characters of a token run (``redaction._RUN``), for ``str.strip``.
_RUN_CHARS = "".join(c for c in map(chr, range(128)) if _RUN_BYTES[ord(c)])


@lru_cache(maxsize=8192)
def _cut_token(end: str, start: str) -> bool:
    """True when the run ``end`` then the run ``start`` hold a token cut between them
    (remembered: the same short runs, a model id and the words fields start with, pair up
    again and again)."""
    return bool(_split_secrets([end, start]))


def _end_run(t: str) -> str:
    """The token characters ``t`` ends with (at most :data:`_SPLIT_REACH`)."""
    return t[len(t.rstrip(_RUN_CHARS)):][-_SPLIT_REACH:]


def _start_run(t: str) -> str:
    """The token characters ``t`` starts with (at most :data:`_SPLIT_REACH`)."""
    return t[:len(t) - len(t.lstrip(_RUN_CHARS))][:_SPLIT_REACH]


def across(texts: list[str | None], given: list[str | None] | None = None
           ) -> list[str | None]:
    """``texts`` (the text fields of one record, already redacted one by one) with a
    token cut across two of them replaced: when the token characters that end one field
    and those that start another (in either order, any two fields) hold a token
    together, the run at that end of the one and that start of the other become
    :data:`REDACTED`; the rest of both fields stays. The cut is looked for in ``given``
    (the fields as sent, same places) when there, since redacting one half on its own
    hides the cut but leaves the other half."""
    look = texts if given is None else given
    sizes = sorted(map(len, filter(None, look)))
    if len(sizes) < 2 or sizes[-1] + sizes[-2] < 20:
        return texts  # (no two fields are long enough to hold a token together)
    ends: list[tuple[int, str, int]] = []  # (field, text, length of the run it ends with)
    starts: list[tuple[int, str, int]] = []  # (field, text, length of the run it starts with)
    longest_end = longest_start = 0
    for i, t in enumerate(look):
        if t:
            n = len(t)
            if e := min(n - len(t.rstrip(_RUN_CHARS)), _SPLIT_REACH):
                ends.append((i, t, e))
                longest_end = max(longest_end, e)
            if b := min(n - len(t.lstrip(_RUN_CHARS)), _SPLIT_REACH):
                starts.append((i, t, b))
                longest_start = max(longest_start, b)
    if longest_end + longest_start < 20:
        return texts  # (no two runs are long enough to hold a token together)
    cut_end: set[int] = set()
    cut_start: set[int] = set()
    for i, t, e in ends:
        for j, u, b in starts:
            if j == i or e + b < 20:
                continue
            if _cut_token(t[-e:], u[:b]):
                cut_end.add(i)
                cut_start.add(j)
    if not cut_end:
        return texts
    out = list(texts)
    for i, t in enumerate(texts):
        if t is None or (i not in cut_end and i not in cut_start):
            continue
        first = len(_start_run(t)) if i in cut_start else 0
        last = len(t) - len(_end_run(t)) if i in cut_end else len(t)
        if first >= last:
            out[i] = REDACTED
        elif first or last < len(t):  # (a marker where a run goes: none where the field's
            # own redaction already took the half, e.g. a whole token ending it)
            out[i] = ((REDACTED if first else "") + t[first:last]
                      + (REDACTED if last < len(t) else ""))
    return out


def across_items(values: tuple[Any, ...], given: tuple[Any, ...],
                 places: tuple[int, ...]) -> tuple[Any, ...]:
    """``values`` with :func:`across` applied to the strings at ``places`` (``given``:
    the values as sent)."""
    texts: list[str | None] = [v if type(v := values[i]) is str else None for i in places]
    sent: list[str | None] = [v if type(v := given[i]) is str else None for i in places]
    fixed = across(texts, sent)
    if fixed is texts:
        return values
    out = list(values)
    for i, new in zip(places, fixed, strict=True):
        if new is not None:
            out[i] = new
    return tuple(out)

"""The shortest text a regex can match when every character comes from a given alphabet.

:func:`shortest_match` walks the parse tree of a pattern (the ``re`` module's own parser)
and returns a **lower bound** on the length of any match, in text made only of the
alphabet's characters, or ``math.inf`` when no such match exists. It errs only towards
smaller bounds: assertions that cannot fail are ignored (negative lookarounds, ``\\b``,
``^``, back references count as empty), a non-ASCII letter under ``IGNORECASE`` is taken to
match every letter, and any construct it does not know counts as matching nothing. So
"the bound is more than ``n``" proves that the pattern matches nowhere in such a text of
``n`` characters. Redaction uses it to skip token searches on runs that are only hex ids
(:mod:`.redaction_tokens`).
"""

from __future__ import annotations

import functools
import importlib
import math
import re
from collections.abc import Callable
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_CATEGORIES: dict[str, Callable[[str], bool]] = {
    "CATEGORY_DIGIT": str.isdigit, "CATEGORY_NOT_DIGIT": lambda c: not c.isdigit(),
    "CATEGORY_WORD": lambda c: c.isalnum() or c == "_",
    "CATEGORY_NOT_WORD": lambda c: not (c.isalnum() or c == "_"),
    "CATEGORY_SPACE": str.isspace, "CATEGORY_NOT_SPACE": lambda c: not c.isspace(),
}


@functools.cache
def shortest_match(pattern: re.Pattern[str], alphabet: frozenset[str]) -> float:
    """A lower bound on the length of a match of ``pattern`` in text of ``alphabet`` only
    (``math.inf``: there is none). ``alphabet`` must be ASCII. Remembered: the redaction
    modules ask for the same pattern and alphabet many times while they import."""
    if not all(c.isascii() for c in alphabet):
        raise ValueError("alphabet: ASCII characters only")
    tree = _parser.parse(pattern.pattern, pattern.flags)
    return _sequence(tree, alphabet, bool(pattern.flags & re.IGNORECASE))


def _sequence(items: Any, alphabet: frozenset[str], icase: bool) -> float:
    total = 0.0
    for op, av in items:
        total += _item(str(op), av, alphabet, icase)
        if total == math.inf:
            break
    return total


def _item(op: str, av: Any, alphabet: frozenset[str], icase: bool) -> float:
    if op in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
        return 1 if _chars(op, av, alphabet, icase) else math.inf
    if op == "BRANCH":
        return min(_sequence(b, alphabet, icase) for b in av[1])
    if op == "SUBPATTERN":
        _, add, remove, sub = av
        return _sequence(sub, alphabet, (icase or bool(add & re.IGNORECASE))
                         and not remove & re.IGNORECASE)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, _, sub = av
        return 0 if low == 0 else low * _sequence(sub, alphabet, icase)
    if op == "ATOMIC_GROUP":
        return _sequence(av, alphabet, icase)
    if op == "ASSERT":  # what a lookaround reads is text of the alphabet too
        return 0 if _sequence(av[1], alphabet, icase) < math.inf else math.inf
    return 0  # ASSERT_NOT, AT, GROUPREF...: may match the empty string


def _chars(op: str, av: Any, alphabet: frozenset[str], icase: bool) -> set[str]:
    """The characters of ``alphabet`` a one-character item matches (a superset)."""
    if op == "ANY":
        return set(alphabet - {"\n"})
    if op == "LITERAL":
        return _literal(av, alphabet, icase, over=True)
    if op == "NOT_LITERAL":  # excluded: only what surely matches the literal
        return set(alphabet) - _literal(av, alphabet, icase, over=False)
    negate = any(str(sub_op) == "NEGATE" for sub_op, _ in av)
    hit: set[str] = set()
    for sub_op, sub in av:
        name = str(sub_op)
        if name == "LITERAL":
            hit |= _literal(sub, alphabet, icase, over=not negate)
        elif name == "RANGE":
            low, high = sub
            hit |= {c for c in alphabet if low <= ord(c) <= high or (icase and (
                low <= ord(c.lower()) <= high or low <= ord(c.upper()) <= high))}
            if icase and high >= 0x80 and not negate:
                hit |= {c for c in alphabet if c.isalpha()}  # (Kelvin sign, long s...)
        elif name == "CATEGORY" and str(sub) in _CATEGORIES:
            hit |= {c for c in alphabet if _CATEGORIES[str(sub)](c)}
        elif name != "NEGATE":
            return set(alphabet)  # (not known: anything)
    return set(alphabet) - hit if negate else hit


def _literal(code: int, alphabet: frozenset[str], icase: bool, *, over: bool) -> set[str]:
    """The characters of ``alphabet`` the literal ``code`` matches: a superset when
    ``over``, else a subset (they differ only for a non-ASCII letter under IGNORECASE,
    which may match an ASCII one: the Kelvin sign, the long s)."""
    char = chr(code)
    if icase and not char.isascii() and char.isalpha():
        return {c for c in alphabet if c.isalpha()} if over else set()
    return {c for c in alphabet if char in _variants(c, icase)}


def _variants(c: str, icase: bool) -> tuple[str, ...]:
    return (c, c.lower(), c.upper()) if icase else (c,)


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lower-case ASCII strings one of which is in the lower case of every text (ASCII)
    in which ``pattern`` finds a match; ``None`` when no such set is known.

    A search of ASCII text can skip ``pattern`` when the text's ``str.lower()`` holds none
    of them. Only what a match surely spells is taken: consecutive literal characters, the
    union over every branch of an alternation, and what a group or a repetition of at least
    one spells, and what a lookahead or lookbehind reads (it reads the searched text too);
anything else (a class, a negative lookaround, an optional part) spells nothing sure.

    >>> sorted(required_literals(re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")))
    ['akia', 'asia']
    >>> required_literals(re.compile(r"[a-z]{20}")) is None
    True
    """
    return _required(_parser.parse(pattern.pattern, pattern.flags))


def _required(items: Any) -> frozenset[str] | None:
    """:func:`required_literals` of a parsed sequence: its most selective sure set."""
    options: list[frozenset[str]] = []
    run = ""
    for op, av in items:
        name = str(op)
        if name == "LITERAL" and chr(av).isascii():
            run += chr(av).lower()
            continue
        if run and name == "BRANCH":  # ('AKIA|ASIA' parses as 'A' then 'KIA|SIA')
            options.append(frozenset(run + _leading(b) for b in av[1]))
        if run:
            options.append(frozenset({run}))
            run = ""
        found: frozenset[str] | None = None
        if name == "BRANCH":
            each = [_required(b) for b in av[1]]
            if all(e is not None for e in each):
                found = frozenset().union(*(e for e in each if e is not None))
        elif name == "SUBPATTERN":
            found = _required(av[3])
        elif name == "ATOMIC_GROUP":
            found = _required(av)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            found = _required(av[2])
        elif name == "ASSERT":  # a lookaround reads the searched text too
            found = _required(av[1])
        if found:
            options.append(found)
    if run:
        options.append(frozenset({run}))
    if not options:
        return None
    return max(options, key=lambda o: (min(len(s) for s in o), -len(o)))


def _leading(items: Any) -> str:
    """The literal characters a parsed sequence starts with (lower case)."""
    lead = ""
    for op, av in items:
        if str(op) != "LITERAL" or not chr(av).isascii():
            break
        lead += chr(av).lower()
    return lead

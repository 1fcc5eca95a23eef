"""The shortest match of a regex over an alphabet: a lower bound, never more."""

from __future__ import annotations

import math
import random
import re

import pytest
from tracegraph.schema import redaction_tokens as rt
from tracegraph.schema.regex_bounds import required_literals, shortest_match

from .secret_corpus import CORPUS

HEX = frozenset("0123456789abcdef")


@pytest.mark.parametrize(("pattern", "flags", "expected"), [
    (r"4b1d[A-Za-z0-9]{38}", 0, 42),
    (r"[0-9a-f]{32}-us\d", 0, math.inf),  # '-', 'u', 's' are not hex
    (r"(?=[a-z0-9]{0,39}[A-Z])[a-z0-9A-Z]{40}", 0, math.inf),  # lookahead needs a capital
    (r"(?<![0-9a-f])abc(?![0-9a-f])", 0, 3),  # negative lookarounds are ignored
    (r"ABC", re.IGNORECASE, 3), (r"(?i:ABC)d", 0, 4), (r"ABC", 0, math.inf),
    (r"[^0-9a-f]", 0, math.inf), (r"[^g]{2}|x", 0, 2), (r"\d{5,}", 0, 5), (r"a*", 0, 0),
    (r"(ab)\1", 0, 2), (r"\u212a", re.IGNORECASE, 1),  # Kelvin sign matches 'k' (not hex: a)
    (r"[^\u212a]", re.IGNORECASE, 1),
])
def test_known_bounds(pattern: str, flags: int, expected: float) -> None:
    alphabet = HEX | {"k"} if "212a" in pattern else HEX
    assert shortest_match(re.compile(pattern, flags), alphabet) == expected


def test_only_one_token_format_can_spell_an_id() -> None:
    assert [(n, rt._TOKENS[i].pattern[:4]) for n, i in rt.ID_TOKENS] == [(42, "dapi")]


@pytest.mark.parametrize("index", range(len(rt._TOKENS)))
def test_no_match_is_shorter_than_the_bound(index: int) -> None:
    """Random id-alphabet text seeded with each pattern's own literals: every match found is
    at least as long as the bound (and none is found where the bound is infinite)."""
    rx = rt._TOKENS[index]
    bound = shortest_match(rx, rt.ID_CHARS)
    rng = random.Random(index)
    pieces = [*rt.ID_CHARS, "4b1d", "dapi", "pat", "sat.", "-us1", "sha256~"]
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        text = "".join(c for c in text if c in rt.ID_CHARS)
        for m in rx.finditer(text):
            assert len(m.group()) >= bound, (rx.pattern, text)


def test_the_alphabet_must_be_ascii() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        shortest_match(re.compile("a"), frozenset("é"))


@pytest.mark.parametrize(("pattern", "flags", "expected"), [
    (r"eyJ[A-Za-z0-9]{5,}\.x", 0, {"eyj"}), (r"(?:AKIA|ASIA)[A-Z0-9]{16}", 0, {"akia", "asia"}),
    (r"(?<=AccountKey=)[a-z]{40}", 0, {"accountkey="}), (r"(?:ab)+c", 0, {"ab"}),
    (r"[a-z]{20}", 0, None), (r"(?:ab)?c?", 0, None), (r"ab|[0-9]", 0, None),
    (r"(?<!xyz)[a-z]+", 0, None), (r"(?i:SK)_live", 0, {"_live"}),
    (r"\u212a123", re.IGNORECASE, {"123"}),  # (a non-ASCII letter may match an ASCII one)
])
def test_known_required_literals(pattern: str, flags: int, expected: set[str] | None) -> None:
    assert required_literals(re.compile(pattern, flags)) == expected


@pytest.mark.parametrize("index", range(len(rt._TOKENS)))
def test_every_match_holds_a_required_literal(index: int) -> None:
    """Random token-character text seeded with each pattern's literals and the corpus's
    tokens: every match found holds one of the pattern's required literals (lower case)."""
    rx = rt._TOKENS[index]
    words = required_literals(rx)
    if words is None:
        return
    rng = random.Random(index)
    pieces = [*"aAbBkKqQzZ09_-./:=+~", *words, *(w.upper() for w in words),
              *(s for s, _ in CORPUS if " " not in s)]
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        if rx.search(text):
            assert any(w in text.lower() for w in words), (rx.pattern, text)

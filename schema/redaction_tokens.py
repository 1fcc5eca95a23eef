"""Token formats in runs of token characters: the screen every run passes through
(:func:`any_token`), masking (:func:`mask_tokens`) and tokens split over two strings
(:func:`split_secrets`). :mod:`.redaction` applies them.

A run made only of :data:`ID_CHARS` (hex ids, UUIDs, ``otel-<traceId>-<spanId>.step``) is
searched only for the few token formats that can match such text at all, and only when it is
long enough to hold one of them: :func:`~.regex_bounds.shortest_match` proves the others
cannot, from the patterns themselves when this module is imported.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from ahocorasick_rs import AhoCorasick, BytesAhoCorasick

from .redaction_patterns import AWS_SECRET_MIN_ENTROPY, TOKEN_PATTERNS, detect_secrets_patterns
from .regex_bounds import required_literals, shortest_match

REDACTED = "[REDACTED]"

_AWS_SECRET = len(TOKEN_PATTERNS) - 1

#: A run of token characters long enough to hold any token format above.
_RUN = re.compile(r"[A-Za-z0-9_\-+/=.:~]{20,}")
#: bytes.translate table: token-run characters (:data:`_RUN`) to 1, every other byte to 0.
_RUN_BYTES = bytes(1 if chr(i).isascii() and (chr(i).isalnum() or chr(i) in "_-+/=.:~") else 0
                   for i in range(256))
_RUN_MIN = b"\x01" * 20
#: The characters of a token run (:data:`_RUN`).
_TOKEN_CHARS = frozenset(chr(i) for i in range(128) if _RUN_BYTES[i])
#: How much of the end of one string and the start of the next :func:`split_secrets` joins.
SPLIT_REACH = 120

_TOKENS = tuple(re.compile(p) for _, p in TOKEN_PATTERNS) + tuple(detect_secrets_patterns())
#: The token formats that can be recognised across two strings (a prefix says what it is).
_SPLIT_TOKENS = tuple(rx for i, rx in enumerate(_TOKENS) if i != _AWS_SECRET)


def _scoped(p: re.Pattern[str]) -> str:
    """``p``'s pattern with its flags scoped to it, to be one branch of an alternation."""
    flags = "".join(f for f, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE),
                                     ("s", re.DOTALL), ("x", re.VERBOSE)) if p.flags & bit)
    return f"(?{flags}:{p.pattern})" if flags else f"(?:{p.pattern})"


#: Literal parts of the "prefixed API token" pattern: every branch holds one of them.
_TOKEN_PREFIXES = AhoCorasick([
    "dapi", "pplx-", "pnu_", "pul-", "rdme_", "rubygems_", "sntryu_", "sntrys_", "dp.pt.",
    "dt0c01.", "lin_api_", "ntn_", "glc_", "glsa_", "hvs.", "hvb.", "fio-u-", "duffel_",
    "shippo_", "pscale_", "PMAK-", "xkeysib-", "AKCp", "ico-", "FLWSECK_TEST-",
    "FLWPUBK_TEST-", "EZAK", "EZTK", "CLOJARS_", "HRKU-AA", "ABSK", "tk-us-", "sm_", "dnkey-",
    "ops_eyJ", "AGE-SECRET-KEY-1", "LTAI", "sha256~", "v1.0-", "API-", "A3-", "sgp_", "fo1_",
    "fm1", "fm2_", "4b1d", "cmVmd", "pat", "sat.", ".atlasv1.", "GR1348941", "sc_", "ext_",
    "scauth_", "authress_"])
#: Patterns without a literal start (or with dozens), each behind a cheap necessary
#: condition in :func:`any_token` instead of in the combined screen (an alternation with
#: them costs several times more per run).
_PREFIXED, _AZURE_AD = (next(i for i, (n, _) in enumerate(TOKEN_PATTERNS) if n == name)
                         for name in ("prefixed API token", "Azure AD client secret"))
_GUARDED = frozenset({_AWS_SECRET, _PREFIXED, _AZURE_AD})
#: Matches a token run when one of the other :data:`_TOKENS` does (one search, not many).
_ANY_TOKEN = re.compile("|".join(_scoped(p) for i, p in enumerate(_TOKENS) if i not in _GUARDED))
#: Every one of :data:`_TOKENS` behind necessary conditions of its own, for runs of token
#: characters (instead of the alternation above, which tries every format at every position
#: of a run: most of the screen's cost on the short runs of ordinary payloads, and of the
#: guards' scans): a format is searched only when the run's lower case holds one of its
#: :func:`~.regex_bounds.required_literals`, found for all of them in one Aho-Corasick pass,
#: and the run is as long as its :func:`~.regex_bounds.shortest_match`. A format without
#: such literals (the AWS secret's) is searched in every run that long.
_GATED = {i: required_literals(rx) for i, rx in enumerate(_TOKENS)}
_GATE_WORDS = sorted({w for words in _GATED.values() if words for w in words})
_GATE_SCAN = AhoCorasick(_GATE_WORDS)
#: For each of :data:`_GATE_WORDS`: the formats it gates (as (shortest match, index)).
_GATE_TOKENS = tuple(tuple(sorted((shortest_match(_TOKENS[i], _TOKEN_CHARS), i)
                                  for i, words in _GATED.items() if words and w in words))
                     for w in _GATE_WORDS)
#: Formats searched in every run (no required literal known), as (shortest match, index).
_UNGATED = tuple(sorted((shortest_match(_TOKENS[i], _TOKEN_CHARS), i)
                        for i, words in _GATED.items() if not words))


#: The characters of hex ids (lower case), UUIDs and ids derived from them such as
#: ``otel-<traceId>-<spanId>.step`` / ``.call``.
ID_CHARS = frozenset("0123456789abcdef-.lopst")
_ID_RUN = re.compile(r"[0-9a-f\-.lopst]+")
#: (shortest match, index) of each of :data:`_TOKENS` that can match text of
#: :data:`ID_CHARS` at all; every other one cannot (see :func:`~.regex_bounds.shortest_match`).
ID_TOKENS = tuple(sorted((n, i) for i, rx in enumerate(_TOKENS)
                         if (n := shortest_match(rx, ID_CHARS)) < math.inf))
_ID_SHORTEST = ID_TOKENS[0][0] if ID_TOKENS else math.inf


def any_token(run: str) -> bool:
    """True exactly when one of :data:`_TOKENS` matches in ``run``."""
    if _ID_RUN.fullmatch(run):
        return len(run) >= _ID_SHORTEST and any(
            len(run) >= n and (i != _PREFIXED or _TOKEN_PREFIXES.find_matches_as_indexes(run))
            and _TOKENS[i].search(run) is not None for n, i in ID_TOKENS)
    if run.isascii() and _TOKEN_CHARS.issuperset(run):
        return _screened_token(run)
    return (_ANY_TOKEN.search(run) is not None
            or (len(run) >= 40 and _TOKENS[_AWS_SECRET].search(run) is not None)
            or ("Q~" in run and _TOKENS[_AZURE_AD].search(run) is not None)
            or (bool(_TOKEN_PREFIXES.find_matches_as_indexes(run))
                and _TOKENS[_PREFIXED].search(run) is not None))


def _screened_token(run: str) -> bool:
    """``any(rx.search(run) for rx in _TOKENS)`` for a run of token characters (ASCII),
    searching only the formats whose necessary conditions hold (:data:`_GATED`)."""
    n = len(run)
    for shortest, i in _UNGATED:
        if n >= shortest and _TOKENS[i].search(run) is not None:
            return True
    hits = _GATE_SCAN.find_matches_as_indexes(run.lower(), overlapping=True)
    if not hits:
        return False
    tried: set[int] = set()
    for word, _, _ in hits:
        for shortest, i in _GATE_TOKENS[word]:
            if n >= shortest and i not in tried:
                tried.add(i)
                if _TOKENS[i].search(run) is not None:
                    return True
    return False


#: The gate words of the formats :func:`split_secrets` looks for (all but the AWS secret's):
#: a run that holds a cut token holds one of them in its lower case (:data:`_GATED`).
_SPLIT_GATE_WORDS = sorted({w for i, words in _GATED.items() if i != _AWS_SECRET
                            for w in words or ()})
_SPLIT_GATED = not any(i != _AWS_SECRET for _, i in _UNGATED) and all(
    w and "\0" not in w and w.isascii() for w in _SPLIT_GATE_WORDS)
_SPLIT_GATE = BytesAhoCorasick([w.encode() for w in _SPLIT_GATE_WORDS])


def may_split(joined: list[bytes]) -> bool:
    """False only when none of the ASCII strings ``joined`` (the end of one string and the
    start of the next, as :func:`split_secrets` joins them) can hold a token cut between
    its two parts: none holds a gate word of the formats it looks for. One scan of all of
    them, NUL-separated (no gate word holds a NUL)."""
    return not _SPLIT_GATED or bool(_SPLIT_GATE.find_matches_as_indexes(
        b"\0".join(joined).lower()))


def split_secrets(strings: list[str | None]) -> list[tuple[int, int]]:
    """Index pairs of consecutive strings of token characters (None: another value) that
    hold a token only together: the end of one and the start of the next."""
    found: list[tuple[int, int]] = []
    for i in range(len(strings) - 1):
        a, b = strings[i], strings[i + 1]
        if not a or not b:
            continue
        head, tail = a[-SPLIT_REACH:], b[:SPLIT_REACH]
        joined = head + tail
        if _RUN_MIN not in joined.encode("utf-8", "surrogatepass").translate(_RUN_BYTES):
            continue
        cut = len(head)
        for run in _RUN.finditer(joined):
            if not run.start() < cut < run.end() or not any_token(run.group()):
                continue
            if any(run.start() + m.start() < cut < run.start() + m.end()
                   for rx in _SPLIT_TOKENS for m in rx.finditer(run.group())):
                found.append((i, i + 1))
                break
    return found


def mask_tokens(m: re.Match[str]) -> str:
    run = m.group(0)
    if not any_token(run):
        return run
    for i, rx in enumerate(_TOKENS):
        if rx.search(run):
            run = rx.sub(_mask_aws_secret if i == _AWS_SECRET else REDACTED, run)
    return run


def _mask_aws_secret(m: re.Match[str]) -> str:
    s = m.group(0)
    return REDACTED if _entropy(s) >= AWS_SECRET_MIN_ENTROPY else s


def _entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values())

"""Secret redaction at storage time, before hashing: nothing secret is ever stored.

These detectors run over every text field and every string, key and value of JSON
payloads, at any depth, after normalisation (:func:`~.redaction_keys.normalise`: zero
width and other format characters removed, compatibility forms folded):

* **secret-like names** (:mod:`.redaction_keys`): a JSON value under a key such as
  ``db_password``, ``secretToken`` or ``STRIPE_SECRET_KEY`` is replaced whole, and so is
  the value of a header given as a ``[name, value]`` pair or a ``{"name": ..., "value":
  ...}`` object; in free text, the value after such a name and ``=``, ``:``, ``:=``,
  ``=>``... (``db_password: hunter2``, ``twitterToken := "..."``);
* **patterns**: bearer/basic credentials, JWTs, private key blocks (with or without their
  END line), credentials in URLs of any scheme, bare AWS secret access keys (40 characters
  of high entropy), and the token formats of cloud and SaaS providers — ours below, plus
  the regex detectors of Yelp's ``detect-secrets`` (a maintained library);
* **split secrets**: a provider token cut in two consecutive strings of a list or object;
* **literal secrets** the operator configures (``TRACEGRAPH_SECRETS`` or
  :class:`Redactor` ``literals``).

Each secret becomes :data:`REDACTED`. References to the organisation's configuration
(``orgconfig:stripe_key``, seed 003) stay references. Two keys that redact to the same
text both keep their value (the later one suffixed ``#2``, ``#3``...). A cheap pre-check
(:meth:`Redactor.clean`) skips all of it for the common text that holds no candidate.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson
from ahocorasick_rs import AhoCorasick, BytesAhoCorasick

from .redaction_keys import KEY_ANCHORS, SECRET_KEYS, is_normal, is_secret_key, normalise
from .redaction_patterns import CONTEXT_PATTERNS, ORGCONFIG_REFERENCE
from .redaction_tokens import (
    _AWS_SECRET,
    _ID_RUN,
    _ID_SHORTEST,
    _RUN,
    _RUN_BYTES,
    _RUN_MIN,
    ID_CHARS,
    ID_TOKENS,
    REDACTED,
    SPLIT_REACH,
)
from .redaction_tokens import _TOKENS as _TOKENS  # (tests check the screen against each)
from .redaction_tokens import any_token as _any_token
from .redaction_tokens import mask_tokens as _mask_tokens
from .redaction_tokens import may_split as _may_split
from .redaction_tokens import split_secrets as _split_secrets
from .regex_bounds import shortest_match

__all__ = ["REDACTED", "SECRET_KEYS", "Redactor", "is_secret_key"]


#: ``name = value`` in free text: the name (checked by :func:`is_secret_key`) ends at the
#: operator; the value is quoted (then it may hold spaces) or runs to a space or quote.
_ASSIGNMENT = re.compile(
    r"(?P<name>[A-Za-z0-9_.\-$@]{1,80})(?P<close>[\"'`\]]?)"
    r"(?:[ \t]+(?:string|String|str|bytes|char\*?|\[\]byte))?"  # var apiToken string = "..."
    r"[ \t]{0,3}(?:\[\d*\])?[ \t]{0,3}"
    r"(?P<op>=>|={1,3}|!==?|:{1,3}=|\?=|\.=|:|,|>|\()"
    r"[ \t]{0,3}(?:\r?\n[ \t]{0,8})?@?"
    r"(?:\"(?P<dq>[^\"\n]{1,256})\"|'(?P<sq>[^'\n]{1,256})'|`(?P<bq>[^`\n]{1,256})`"
    r"|(?P<bare>[^\s\"'`,;&<]{1,256}))")
#: ``"value" == name`` (a comparison with the literal first).
_COMPARED = re.compile(r"(?P<q>[\"'`])(?P<value>[^\"'`\n]{1,256})(?P=q)\s*[!=]==?\s*"
                       r"(?P<name>[A-Za-z0-9_.\-$@]{1,80})")
#: Words after which a name starts: the assignment detector runs from each.
ASSIGNMENT_ANCHORS = ("pass", "pw", "secret", "token", "key", "auth", "credential", "creds",
                      "cookie", "dsn", "connection")
_NAME_START = re.compile(
    r"(?i)pass|pw|secret|token|key|auth|credential|creds|cookie|dsn|connection")
#: The same words in one Aho-Corasick pass over lower-cased text (re's case-insensitive
#: alternation tries every word at every position: several times slower).
_NAME_SCAN = AhoCorasick(list(ASSIGNMENT_ANCHORS))
#: Values that are no secret: references and placeholders.
_NOT_A_VALUE = re.compile(
    r"(?i)(?:\$\{?[A-Za-z_]|\{\{|%\(|<|orgconfig:|env[.\[(]|os\.environ|process\.env|"
    r"getenv|secrets\.|vault:|\[REDACTED\])"
    r"|(?:null|none|nil|true|false|undefined|required|optional|string|str|bytes|int|any|"
    r"secret|password|token|redacted|hidden|masked|bearer|basic|digest)$"
    r"|(.)\1*$")  # one character repeated: ****, xxxx
#: Unquoted values that are code, not a literal.
_WORD = r"(?:[a-z_][a-z0-9_]*|[A-Z_][A-Z0-9_]*|[A-Z][a-z0-9_]*)"  # not mIxEd like a token
_EXPRESSION = re.compile(
    f"{_WORD}(?:\\.{_WORD})+(?:\\(.*)?$"  # settings.DB_PASSWORD, cfg.get(...)
    r"|[A-Za-z_]\w*\(.*$"  # get_password()
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")  # an environment variable's name
#: A bare lower-case word followed by more words is prose ("Token: used for auth").
_PROSE_AFTER = re.compile(r"[ \t]+[a-z]")


def _assignment_spans(s: str) -> list[tuple[int, int]]:
    """Spans of the values assigned to secret-like names in ``s``."""
    spans: list[tuple[int, int]] = []
    done = 0
    lower = s.lower()
    if len(lower) == len(s):
        hits = [(b, e) for _, b, e in _NAME_SCAN.find_matches_as_indexes(lower)]
    else:  # (lower case changed the length: positions would not match)
        hits = [m.span() for m in _NAME_START.finditer(s)]
    for hit_start, hit_end in hits:
        if hit_start < done:
            continue
        start = hit_start
        while start > 0 and start > hit_start - 80 and (
                s[start - 1].isalnum() or s[start - 1] in "_.-$@"):
            start -= 1
        m = _ASSIGNMENT.match(s, start)
        if m is None:
            continue
        done = m.end()
        name = m.group("name").lstrip("$@.-")
        group = next(g for g in ("dq", "sq", "bq", "bare") if m.group(g) is not None)
        value = m.group(group)
        before = s[start - 1] if start else ""
        if not _is_assigned_secret(name, m.group("op"), value, group == "bare",
                                   before + m.group("close"), s, m.end()):
            done = hit_end
            continue
        spans.append(m.span(group))
    if "==" in s:
        for m in _COMPARED.finditer(s):
            if is_secret_key(m.group("name")) and _plausible_value(m.group("value")):
                spans.append(m.span("value"))
    return spans


def _is_assigned_secret(name: str, op: str, value: str, bare: bool, around: str, s: str,
                        end: int) -> bool:
    """``around``: the character before the name and the quote after it (if any)."""
    if not is_secret_key(name) or not _plausible_value(value):
        return False
    if bare and _EXPRESSION.match(value.strip()):
        return False
    if op == ">" and around[:1] != "<":
        return False  # '>' only closes an XML tag: <apiToken>...</apiToken>
    if op == "(" and bare:
        return False  # a call's argument: only a quoted literal counts
    if op == "," and (bare or around[1:] not in ("\"", "'")):
        return False  # setProperty("API_TOKEN", "..."): a quoted name, then the literal
    # "Password: must be 12 characters" is prose, "db_password: hunter2" is not
    return not (bare and op == ":" and value.isalpha() and value.islower()
                and _PROSE_AFTER.match(s, end) is not None)


def _plausible_value(value: str) -> bool:
    v = value.strip().rstrip(")]},;:")
    if is_secret_key(v) and not any(c.isdigit() for c in v) and v.isidentifier():
        return False  # api_key=api_key: a variable, not its value
    return (len(v) >= 4 and any(c.isalnum() for c in v)
            and _NOT_A_VALUE.match(v) is None)


_CONTEXT = tuple((anchors, re.compile(p), g) for _, anchors, p, g in CONTEXT_PATTERNS)
#: The shortest anchors: every anchor of :data:`CONTEXT_PATTERNS` and of the assignment
#: detector contains one of them.
_ALL_ANCHORS = {a for _, anchors, _, _ in CONTEXT_PATTERNS for a in anchors} | set(
    ASSIGNMENT_ANCHORS)
_MIN_ANCHORS = tuple(sorted(a for a in _ALL_ANCHORS
                            if not any(b != a and b in a for b in _ALL_ANCHORS)))
#: Every anchor in one pass (Aho-Corasick, overlapping): which detectors have work to do.
_ALL_ANCHOR_LIST = sorted(_ALL_ANCHORS)
_ANCHOR_SCAN = AhoCorasick(_ALL_ANCHOR_LIST)
#: For each context pattern and the assignment detector: the indexes of its anchors.
_CONTEXT_ANCHORS = tuple(frozenset(_ALL_ANCHOR_LIST.index(a) for a in anchors)
                         for anchors, _, _ in ((c[1], 0, 0) for c in CONTEXT_PATTERNS))
_ASSIGNMENT_ANCHOR_IDS = frozenset(_ALL_ANCHOR_LIST.index(a) for a in ASSIGNMENT_ANCHORS)
#: The shortest anchors in one pass, of bytes (for :meth:`Redactor.clean`).
_ANCHOR_BYTES_SCAN = BytesAhoCorasick([a.encode() for a in _MIN_ANCHORS])


#: Secret-like names in lower-cased JSON text from which ``-``, ``_``, ``.`` and spaces
#: were deleted (:data:`~.redaction_keys.KEY_ANCHORS`, one Aho-Corasick pass).
_SECRET_KEY = BytesAhoCorasick([k.encode() for k in KEY_ANCHORS])
#: bytes.translate table for :func:`_joins_a_run`'s first look: token characters to ``a``,
#: quotes and commas as they are, anything else to a space.
_JOINT_VIEW = bytes(ord("a") if _RUN_BYTES[i] else i if i in b'",' else ord(" ")
                    for i in range(256))
#: In that view: a joint (``","``, maybe ``name":"``) then a whole string of token
#: characters (group 1; ``:`` is one too, so a key's closing quote is followed by ``a``).
_JOINT_THEN_STRING = re.compile(rb'","(?:a{1,40}"a")?(a+)(?="(?:[^a]|$))')
#: Lower-case hex words joined by single hyphens (UUIDs, hex ids): no anchor or secret-like
#: name can be spelled with them (checked below), and no token format in fewer than
#: ``_ID_SHORTEST`` characters (:mod:`.redaction_tokens`), so :meth:`Redactor.text` leaves
#: such a string shorter than that unchanged unless a configured literal is in it.
_HEX_ID = re.compile(r"[0-9a-f]+(?:-[0-9a-f]+)*")
_HEX = frozenset("0123456789abcdef")
if any(set(a) <= _HEX | {"-"} and "--" not in a for a in _ALL_ANCHOR_LIST) or any(
        set(k) <= _HEX for k in KEY_ANCHORS):  # pragma: no cover - the anchors are words
    _HEX_ID = re.compile(r"(?!)")  # (an anchor made of hex: never take the shortcut)
#: True when text made only of :data:`~.redaction_tokens.ID_CHARS` (``otel-<traceId>-
#: <spanId>.step``, UUIDs, hex ids) can hold no secret but a token: no context pattern, name
#: assignment or comparison can match in it (:func:`~.regex_bounds.shortest_match`), it is
#: normal, and it is one run of token characters, which :meth:`Redactor.text` changes
#: exactly when :func:`~.redaction_tokens.any_token` finds a token in it (the only formats
#: such text can spell are replaced whole). Then :meth:`Redactor.holds_secret` of such an
#: id, without configured literals, is :func:`_any_token` of it.
_ID_TEXT_KEPT = ({chr(i) for i in range(128) if _RUN_BYTES[i]} >= ID_CHARS
                 and all(shortest_match(rx, ID_CHARS) == math.inf
                         for rx in (*(c[1] for c in _CONTEXT), _ASSIGNMENT, _COMPARED))
                 and all(i != _AWS_SECRET for _, i in ID_TOKENS))
#: A run of 20 or more in ``encoded.translate(_RUN_BYTES)`` (:func:`_long_runs` finds the
#: same spans; tests check them against this).
_LONG_RUN = re.compile(rb"\x01{20,}")
_JOINABLE_KEY = re.compile(r"[A-Za-z0-9_\-]{1,40}")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-+/=.:~]+")
#: The only characters whose lower case holds an ASCII letter (U+0130, U+212A), in UTF-8.
_LOWERS_TO_ASCII = ("\u0130".encode(), "\u212a".encode())
#: Object fields that name the header or setting whose value sits beside them.
_NAME_FIELDS = ("name", "key", "header", "field", "Name", "Key", "Header")
_VALUE_FIELDS = ("value", "Value")


def _holds_no_secret(v: Any) -> bool:
    """Values kept under a secret-like key: null, booleans and empty strings, lists and
    objects cannot hold a secret."""
    return v is None or v is True or v is False or (type(v) in (str, list, dict) and not v)


def _normal_key(key: str) -> str:
    """(Kept for callers of the former name.)"""
    from .redaction_keys import normal_key

    return normal_key(key)


#: How long a text :meth:`Redactor.text` remembers may be.
_KEPT_TEXT = 64


@dataclass
class Redactor:
    """Replaces secrets in text and JSON with :data:`REDACTED`.

    >>> r = Redactor(literals=["hunter2hunter2"])
    >>> r.text("login with password=hunter2hunter2 now")
    'login with password=[REDACTED] now'
    >>> r.json({"headers": {"Authorization": "Bearer abc.def.ghi"}, "n": 1})
    {'headers': {'Authorization': '[REDACTED]'}, 'n': 1}
    """

    literals: Iterable[str] = ()
    _literals: tuple[str, ...] = field(init=False, default=())
    #: The literals as they appear inside JSON text; None when one cannot be encoded (then
    #: :meth:`clean` never vouches for a text).
    _escaped_literals: tuple[bytes, ...] | None = field(init=False, default=())
    #: Object keys as stored (keys repeat from value to value; bounded, see :meth:`_key`).
    _keys: dict[str, str] = field(init=False, default_factory=dict, repr=False)
    #: Short texts as :meth:`text` stores them (labels such as an API type, a model id or
    #: a tool name come back in every record; bounded like :attr:`_keys`).
    _texts: dict[str, str] = field(init=False, default_factory=dict, repr=False,
                                   compare=False)
    #: Strings (as JSON text) that :meth:`clean` looked at closely: whether they pass.
    _vouched: dict[bytes, bool] = field(init=False, default_factory=dict, repr=False,
                                       compare=False)

    def __post_init__(self) -> None:
        env = os.environ.get("TRACEGRAPH_SECRETS", "")
        values = {*self.literals, *(s for s in env.split(",") if s)}
        # Longest first, so a secret containing another is replaced whole.
        self._literals = tuple(sorted((v for v in values if len(v) >= 4), key=len,
                                      reverse=True))
        try:
            self._escaped_literals = tuple(orjson.dumps(v)[1:-1] for v in self._literals)
        except orjson.JSONEncodeError:
            self._escaped_literals = None

    def text(self, s: str) -> str:
        """``s`` with every secret replaced.

        Text that normalisation changes (zero width characters inside a token, fullwidth
        letters) is searched in its normal form too; when that finds a secret, the normal
        form with the secret replaced is what is returned.
        """
        if len(s) > _KEPT_TEXT:
            return self._normal_text(s)
        stored = self._texts.get(s)
        if stored is None:
            if len(self._texts) >= 4096:
                self._texts.clear()
            stored = self._texts[s] = self._normal_text(s)
        return stored

    def _normal_text(self, s: str) -> str:
        """:meth:`text`, not remembered."""
        if not is_normal(s):
            n = normalise(s)
            redacted = self._text(n)
            if redacted != n:
                return redacted
        return self._text(s)

    def _text(self, s: str) -> str:
        for lit in self._literals:
            if lit in s:
                s = s.replace(lit, REDACTED)
        hits = {i for i, _, _ in _ANCHOR_SCAN.find_matches_as_indexes(
            s.lower(), overlapping=True)}
        if hits:
            for (_, rx, group), anchors in zip(_CONTEXT, _CONTEXT_ANCHORS, strict=True):
                if not hits.isdisjoint(anchors) and rx.search(s):
                    s = rx.sub(partial(_mask, group=group), s)
            if not hits.isdisjoint(_ASSIGNMENT_ANCHOR_IDS):
                s = _replace_spans(s, _assignment_spans(s))
        # _RUN.search(s), faster: a run is ASCII, and every other character (as UTF-8
        # bytes >= 0x80) breaks a run in the bytes as it does in the string
        if _RUN_MIN in s.encode("utf-8", "surrogatepass").translate(_RUN_BYTES):
            s = _RUN.sub(_mask_tokens, s)
        return s

    def holds_secret(self, s: str) -> bool:
        """True when :meth:`text` would change ``s`` (a secret in an id, say)."""
        if not self._literals and len(s) < _ID_SHORTEST and _HEX_ID.fullmatch(s):
            return False  # a UUID, a hex id: see _HEX_ID
        if _ID_TEXT_KEPT and not self._literals and type(self) is Redactor and _ID_RUN.fullmatch(
                s):
            return _any_token(s)  # an id of ID_CHARS: see _ID_TEXT_KEPT
        try:
            if self.clean(orjson.dumps(s)):
                return False
        except orjson.JSONEncodeError:
            pass
        return self.text(s) != s

    def json(self, value: Any) -> Any:
        """A JSON value with secret-keyed values and secrets in strings replaced.

        A value in which :meth:`clean` finds no candidate at all is returned as it is;
        otherwise a copy is made, every key and string passing through :meth:`text`.
        """
        if type(value) is str:
            return self.text(value)
        try:
            encoded: bytes | None = orjson.dumps(value)
        except orjson.JSONEncodeError:
            encoded = None
        if encoded is not None and self.clean(encoded):
            return value
        return self._json(value)

    def _json(self, value: Any) -> Any:
        t = type(value)
        if t is str:
            return self.text(value)
        if t is dict:
            return self._object(value)
        if t is list:
            if (len(value) == 2 and type(value[0]) is str and is_secret_key(value[0])
                    and not _holds_no_secret(value[1])):  # a [name, value] header pair
                return [self.text(value[0]), self._keyed(value[1])]
            items = [self._json(v) for v in value]
            for i, j in _split_secrets([v if type(v) is str and _TOKEN_CHARS.fullmatch(v)
                                        else None for v in value]):
                items[i] = items[j] = REDACTED
            return items
        return value

    def _object(self, value: dict[str, Any]) -> dict[str, Any]:
        named_secret = False
        if "value" in value or "Value" in value:
            named = next((value[f] for f in _NAME_FIELDS if type(value.get(f)) is str), None)
            named_secret = named is not None and is_secret_key(named)
        pairs: list[tuple[str, str, Any]] = []
        for k, v in value.items():
            if not _holds_no_secret(v) and (is_secret_key(k) or (
                    named_secret and k in _VALUE_FIELDS)):
                pairs.append((k, self._key(k), self._keyed(v)))
            else:
                pairs.append((k, self._key(k), self._json(v)))
        if len(pairs) > 1:
            joinable = [v if type(v) is str and _TOKEN_CHARS.fullmatch(v)
                        and _JOINABLE_KEY.fullmatch(k) else None for k, v in value.items()]
            for i, j in _split_secrets(joinable):
                pairs[i] = (*pairs[i][:2], REDACTED)
                pairs[j] = (*pairs[j][:2], REDACTED)
        return _without_collisions(pairs)

    def _key(self, k: str) -> str:
        """:meth:`text` of an object key, remembered."""
        stored = self._keys.get(k)
        if stored is None:
            if len(self._keys) >= 4096:
                self._keys.clear()
            stored = self._keys[k] = self.text(k)
        return stored

    def _keyed(self, v: Any) -> Any:
        """What is stored of ``v``, the value under a secret-like name."""
        if type(v) is str and ORGCONFIG_REFERENCE.fullmatch(v):
            return self.text(v)  # a reference to the secret, not the secret
        return REDACTED

    def clean(self, encoded: bytes) -> bool:
        """True when the JSON text ``encoded`` (``orjson.dumps`` of some values) holds no
        candidate secret at all: then :meth:`text` and :meth:`json` leave every string, key
        and value inside it unchanged. A few scans of one buffer instead of a walk.

        Why a scan of the encoded text is enough. JSON escapes a string character by
        character, and only ``"``, ``\\`` and control characters, none of which is part of
        an anchor, a token run or a secret-like name. So a configured literal inside a
        string shows as its escaped form; a run of token characters shows unchanged (and a
        run cut in two strings shows once the joint ``","`` or ``","name":"`` is deleted);
        an anchor in a string's ``str.lower()`` shows in the buffer's ASCII lower case (only
        U+0130 and U+212A lower-case to ASCII letters: a buffer holding either is never
        vouched for); text that normalisation would change is never vouched for; and a
        secret-like name shows as one of :data:`~.redaction_keys.KEY_ANCHORS` once ``-``,
        ``_``, ``.`` and spaces are deleted from the lower-cased buffer. Any hit sends the
        caller down the exact path.
        """
        if self._escaped_literals is None or type(self) is not Redactor:
            return False  # (a subclass may redact more than this scan looks for)
        for lit in self._escaped_literals:
            if lit in encoded:
                return False
        if not encoded.isascii():
            if any(c in encoded for c in _LOWERS_TO_ASCII):
                return False
            if not is_normal(encoded.decode("utf-8", "surrogatepass")):
                return False
        lower = encoded.lower()
        verified: set[tuple[int, int]] = set()
        anchors = _ANCHOR_BYTES_SCAN.find_matches_as_indexes(lower, overlapping=True)
        deleted = lower.translate(None, b"-_. ")
        names = _SECRET_KEY.find_matches_as_indexes(deleted, overlapping=True)
        if (anchors or names) and not self._strings_pass(encoded, lower, names, anchors,
                                                         verified):
            return False
        runs = encoded.translate(_RUN_BYTES)
        if _RUN_MIN in runs and not _runs_pass(encoded, runs, verified):
            return False
        return not (b'","' in encoded and _joins_a_run(encoded, runs))

    def _strings_pass(self, encoded: bytes, lower: bytes,
                      deleted_names: list[tuple[int, int, int]],
                      anchors: list[tuple[int, int, int]], verified: set[tuple[int, int]]
                      ) -> bool:
        """The second look of :meth:`clean` when an anchor or a secret-like name shows:
        each string holding one is checked whole (:meth:`text` leaves it as it is, and it is
        no secret-like name), and added to ``verified`` as its (opening, closing) quotes.

        Only for text without a backslash, where every ``"`` delimits a string (so an odd
        number of them before a position means it is inside one). A name is found in the
        buffer with separators deleted (``deleted_names``, counted overlapping); each hit
        there must be the image of a hit in ``lower`` (as many), whose position says its
        string."""
        if b"\\" in encoded:
            return False
        names = _SECRET_KEY.find_matches_as_indexes(lower, overlapping=True)
        if len(names) != len(deleted_names):
            return False  # a name cut by separators (to-ken): no position to look at
        for _, start, end in (*anchors, *names):
            at = start + 1 if encoded[start] == 0x22 else start  # ('"pin"': inside)
            opening = encoded.rfind(b'"', 0, at)
            closing = encoded.find(b'"', at)
            last = end - 1 if encoded[end - 1] == 0x22 else end  # ('pw"': the closing quote)
            if opening < 0 or closing < last or encoded.count(b'"', 0, opening) % 2:
                return False
            verified.add((opening, closing))
        for opening, closing in verified:
            text = encoded[opening + 1:closing]
            ok = self._vouched.get(text)
            if ok is None:
                if len(self._vouched) >= 4096:
                    self._vouched.clear()
                s = text.decode("utf-8", "surrogatepass")
                ok = self._vouched[text] = self.text(s) == s and not is_secret_key(s)
            if not ok:
                return False
        return True


def _runs_pass(encoded: bytes, runs: bytes, verified: set[tuple[int, int]]) -> bool:
    """True when no run of 20 or more token characters in ``encoded`` holds a token. A run
    right between two ``"`` is a whole run of one string (a quote inside a string is
    escaped, so never next to a run's end; outside strings only ``:`` lies between quotes),
    so searching it alone is what :meth:`Redactor.text` does; any other run must lie in a
    string of ``verified``."""
    for start, end in _long_runs(runs):
        if not (verified and any(o < start and end <= c for o, c in verified)) and (
                start == 0 or encoded[start - 1] != 0x22 or end == len(encoded)
                or encoded[end] != 0x22 or _run_holds_token(encoded[start:end])):
            return False
    return True


def _long_runs(runs: bytes) -> Iterator[tuple[int, int]]:
    """The spans of ``_LONG_RUN.finditer(runs)``, found with ``bytes.find`` (the regex
    counts the ones of every shorter run again from each of its positions)."""
    at = runs.find(_RUN_MIN)
    while at >= 0:
        end = runs.find(b"\x00", at)
        if end < 0:
            end = len(runs)
        yield at, end
        at = runs.find(_RUN_MIN, end)


@functools.lru_cache(maxsize=4096)
def _run_holds_token(run: bytes) -> bool:
    """:func:`_any_token` of an ASCII run, remembered (attribute names such as
    ``openinference.span.kind`` come back in every payload)."""
    return _any_token(run.decode("ascii"))


def _joins_a_run(encoded: bytes, runs: bytes) -> bool:
    """True when two consecutive strings of a list or object in the JSON text ``encoded``
    (``"a","b"`` or ``"a","name":"b"``) are all token characters, 20 or more together, and
    :func:`_split_secrets` finds a token cut between them. ``runs`` is ``encoded`` through
    ``_RUN_BYTES``. (Every pair :meth:`Redactor.json` joins shows here: two whole strings,
    the second's key at most 40 characters.)"""
    pairs: list[tuple[int, int, int, int]] = []  # (first string, second string) spans
    for m in _JOINT_THEN_STRING.finditer(encoded.translate(_JOINT_VIEW)):
        i = m.start()
        a = runs.rfind(b"\x00", 0, i) + 1  # where the string before the joint starts
        if a > 0 and encoded[a - 1:a] == b'"' and (i - a) + len(m[1]) >= 20 and i > a:
            pairs.append((a, i, m.start(1), m.end(1)))
    if not pairs or not _may_split([encoded[max(a, i - SPLIT_REACH):i] + encoded[
            s:min(e, s + SPLIT_REACH)] for a, i, s, e in pairs]):
        return False  # (no joined end and start holds a gate word of a format: one scan)
    for a, i, s, e in pairs:
        first, second = encoded[a:i].decode("ascii"), encoded[s:e].decode("ascii")
        # The two strings are token characters, so the end of one and the start of the
        # other that _split_secrets joins are one run, and it finds a cut token only in
        # a run that holds a token: a run that holds none is passed without it.
        if _any_token(first[-SPLIT_REACH:] + second[:SPLIT_REACH]) and _split_secrets(
                [first, second]):
            return True
    return False


def _without_collisions(pairs: list[tuple[str, str, Any]]) -> dict[str, Any]:
    """The object of (original key, stored key, stored value) triples, keeping every value:
    a stored key that redaction made equal to another gets ``#2``, ``#3``... (keys left as
    they were keep theirs)."""
    out = {stored: v for _, stored, v in pairs}
    if len(out) == len(pairs):
        return out
    out = {}
    taken = {k for k, stored, _ in pairs if k == stored}
    for k, stored, v in pairs:
        if k != stored:
            if stored in taken:
                n = 2
                while f"{stored}#{n}" in taken:
                    n += 1
                stored = f"{stored}#{n}"
            taken.add(stored)
        out[stored] = v
    return out


def _replace_spans(s: str, spans: list[tuple[int, int]]) -> str:
    """``s`` with each of ``spans`` (merged where they overlap) replaced by REDACTED."""
    if not spans:
        return s
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    at = 0
    for start, end in merged:
        parts.append(s[at:start])
        parts.append(s[start:end] if s[start:end] == REDACTED else REDACTED)
        at = end
    parts.append(s[at:])
    return "".join(parts)


def _mask(m: re.Match[str], group: int) -> str:
    if group == 0:
        return REDACTED
    start, end = m.span(group)
    base = m.start()
    whole = m.group(0)
    return whole[: start - base] + REDACTED + whole[end - base:]

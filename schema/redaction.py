"""Secret redaction at storage time, before hashing: nothing secret is ever stored.

Three detectors run over every text field and every string, key and value of JSON
payloads, at any depth:

* **secret-like keys**: a JSON value under a key such as ``password``, ``api_key``,
  ``authorization`` or ``refresh_token`` is replaced whole, whatever it is;
* **patterns**: bearer/basic credentials, JWTs, private key blocks, passwords inside
  connection strings, ``key=value`` assignments in free text, and the token formats of
  common cloud and SaaS providers — ours below, plus the regex detectors of Yelp's
  ``detect-secrets`` (a maintained library) for the formats it knows;
* **literal secrets** the operator configures (``TRACEGRAPH_SECRETS`` or
  :class:`Redactor` ``literals``).

Each secret becomes :data:`REDACTED`. A cheap pre-check (substring anchors) skips the
regexes for the common text that holds no candidate at all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import orjson
from ahocorasick_rs import AhoCorasick, BytesAhoCorasick

REDACTED = "[REDACTED]"

#: Keys whose values are secrets (compared after lower-casing and removing ``-``/``_``).
SECRET_KEYS = frozenset({
    "password", "passwd", "pwd", "pass", "passphrase", "secret", "secrets", "clientsecret",
    "token", "accesstoken", "refreshtoken", "idtoken", "sessiontoken", "authtoken",
    "bearertoken", "apitoken", "oauthtoken", "csrftoken", "xsrftoken",
    "apikey", "xapikey", "apisecret", "secretkey", "accesskey", "accesskeyid",
    "secretaccesskey", "privatekey", "signingkey", "encryptionkey", "masterkey",
    "authorization", "proxyauthorization", "auth", "credential", "credentials",
    "cookie", "setcookie", "connectionstring", "dsn", "databaseurl", "webhooksecret",
    "awssecretaccesskey", "awssessiontoken", "clientkey", "sharedsecret", "pin", "otp",
})

_KEYWORD = (r"(?:pass(?:word|wd|phrase)?|pwd|secret|client[_-]?secret|api[_-]?key|"
            r"(?:secret|signing|encryption|master)[_-]?key|(?:session|id)[_-]?token|"
            r"api[_-]?token|access[_-]?token|refresh[_-]?token|auth[_-]?token|"
            r"access[_-]?key(?:[_-]?id)?|secret[_-]?access[_-]?key|private[_-]?key|token)")

#: Context patterns: (name, anchors, pattern, group to redact; 0 = the whole match). A
#: pattern only runs when one of its anchors occurs in the lower-cased text.
CONTEXT_PATTERNS: tuple[tuple[str, tuple[str, ...], str, int], ...] = (
    ("private key block", ("-----begin",),
     r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY"
     r"(?: BLOCK)?-----", 0),
    ("bearer or basic credential", ("bearer", "basic", "token"),
     r"(?i)\b(?:bearer|basic|token)\s+([A-Za-z0-9\-._~+/]{8,}=*)", 1),
    ("password in a URL or connection string", ("://",),
     r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]+:([^\s@'\"/]+)@", 1),
    ("key=value secret", ("pass", "pwd", "secret", "key", "token"),
     r"(?i)(?<![A-Za-z0-9])[\"']?" + _KEYWORD + r"[\"']?\s*(?:=|:|=>)\s*[\"']?"
     r"([^\s\"',;&]{4,})", 1),
    ("connection string Password=", ("password=", "pwd=", "accountkey=", "sharedaccesskey="),
     r"(?i)\b(?:password|pwd|accountkey|sharedaccesskey)=([^;\s\"']+)", 1),
    ("Slack webhook", ("hooks.slack",), r"https://hooks\.slack\.com/services/[A-Za-z0-9_/]+", 0),
)

#: Token formats of cloud and SaaS providers, checked against each long unbroken run of
#: token characters (a run is where any such token must lie).
TOKEN_PATTERNS: tuple[tuple[str, str], ...] = (
    ("JWT", r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_\-+/=]{5,}"),
    ("AWS access key id", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}"),
    ("GitHub token", r"(?:gh[pousr]_[A-Za-z0-9_]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("GitLab token", r"gl(?:pat|dt|ft|soat|rt|cbt|ptt|oas)-[A-Za-z0-9_\-]{20,}"),
    ("Slack token", r"xox[abposre]-[A-Za-z0-9\-]{10,}"),
    ("Stripe key", r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}"),
    ("OpenAI or Anthropic key", r"sk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_\-]{20,}"),
    ("Google API key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("Google OAuth token", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    ("SendGrid key", r"SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    ("Twilio key", r"(?<![0-9a-zA-Z])(?:SK|AC)[0-9a-f]{32}(?![0-9a-zA-Z])"),
    ("Hugging Face token", r"hf_[A-Za-z0-9]{30,}"),
    ("npm token", r"npm_[A-Za-z0-9]{36}"),
    ("PyPI token", r"pypi-AgE[A-Za-z0-9_\-]{50,}"),
    ("Azure storage key", r"(?<=AccountKey=)[A-Za-z0-9+/=]{40,}"),
    ("Mailchimp key", r"[0-9a-f]{32}-us\d{1,2}"),
    ("Square token", r"sq0(?:csp|atp)-[0-9A-Za-z_\-]{22,}"),
    ("Shopify token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    ("DigitalOcean token", r"do[opr]_v1_[a-f0-9]{64}"),
    ("Telegram bot token", r"\d{8,10}:AA[0-9A-Za-z_\-]{33}"),
    ("Discord bot token", r"[MNO][A-Za-z\d_\-]{23,25}\.[A-Za-z\d_\-]{6}\.[A-Za-z\d_\-]{27,}"),
)

#: A run of token characters long enough to hold any token format above.
_RUN = re.compile(r"[A-Za-z0-9_\-+/=.:]{20,}")


def _detect_secrets_patterns() -> list[re.Pattern[str]]:
    """Regexes of detect-secrets' token-format detectors (empty when it is not installed)."""
    try:
        from detect_secrets.plugins.aws import AWSKeyDetector
        from detect_secrets.plugins.github_token import GitHubTokenDetector
        from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
        from detect_secrets.plugins.jwt import JwtTokenDetector
        from detect_secrets.plugins.openai import OpenAIDetector
        from detect_secrets.plugins.sendgrid import SendGridDetector
        from detect_secrets.plugins.slack import SlackDetector
        from detect_secrets.plugins.square_oauth import SquareOAuthDetector
        from detect_secrets.plugins.stripe import StripeDetector
    except ImportError:  # pragma: no cover - detect-secrets is a dependency
        return []
    detectors = (AWSKeyDetector, GitHubTokenDetector, GitLabTokenDetector, JwtTokenDetector,
                 OpenAIDetector, SendGridDetector, SlackDetector, SquareOAuthDetector,
                 StripeDetector)
    patterns: list[re.Pattern[str]] = []
    for detector in detectors:
        for p in detector().denylist:
            if p.groups == 0:  # patterns whose whole match is the secret
                patterns.append(p)
    return patterns


_CONTEXT = tuple((anchors, re.compile(p), g) for _, anchors, p, g in CONTEXT_PATTERNS)
_TOKENS = tuple(re.compile(p) for _, p in TOKEN_PATTERNS) + tuple(_detect_secrets_patterns())

#: The shortest anchors: every anchor of :data:`CONTEXT_PATTERNS` contains one of them.
_MIN_ANCHORS = tuple(sorted(
    a for a in {a for _, anchors, _, _ in CONTEXT_PATTERNS for a in anchors}
    if not any(b != a and b in a for _, anchors, _, _ in CONTEXT_PATTERNS for b in anchors)))
_MIN_ANCHOR_BYTES = tuple(a.encode() for a in _MIN_ANCHORS)
#: Every shortest anchor in one pass (Aho-Corasick): of str, and of bytes.
_ANCHOR_SCAN = AhoCorasick(list(_MIN_ANCHORS))
_ANCHOR_BYTES_SCAN = BytesAhoCorasick(list(_MIN_ANCHOR_BYTES))


def _scoped(p: re.Pattern[str]) -> str:
    """``p``'s pattern with its flags scoped to it, to be one branch of an alternation."""
    flags = "".join(f for f, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE),
                                     ("s", re.DOTALL), ("x", re.VERBOSE)) if p.flags & bit)
    return f"(?{flags}:{p.pattern})" if flags else f"(?:{p.pattern})"


#: Matches a token run exactly when one of :data:`_TOKENS` does (one search instead of many).
_ANY_TOKEN = re.compile("|".join(_scoped(p) for p in _TOKENS))


#: ``"key":`` in lower-cased JSON text from which ``-``, ``_`` and spaces were deleted, for
#: every key whose normal form (:func:`_normal_key`) is one of :data:`SECRET_KEYS` (one pass
#: of an Aho-Corasick automaton for all of them).
_SECRET_KEY = BytesAhoCorasick([b'"' + k.encode() + b'":' for k in sorted(SECRET_KEYS)])
#: bytes.translate table: token-run characters (:data:`_RUN`) to 1, every other byte to 0.
_RUN_BYTES = bytes(1 if chr(i).isascii() and (chr(i).isalnum() or chr(i) in "_-+/=.:") else 0
                   for i in range(256))
_RUN_MIN = b"\x01" * 20
#: The only characters whose lower case holds an ASCII letter (U+0130, U+212A), in UTF-8.
_LOWERS_TO_ASCII = ("\u0130".encode(), "\u212a".encode())


def _holds_no_secret(v: Any) -> bool:
    """Values kept under a secret-like key: null, booleans and empty strings, lists and
    objects cannot hold a secret."""
    return v is None or v is True or v is False or (type(v) in (str, list, dict) and not v)


def _normal_key(key: str) -> str:
    return key.lower().replace("-", "").replace("_", "").replace(" ", "")


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
        """``s`` with every secret replaced."""
        for lit in self._literals:
            if lit in s:
                s = s.replace(lit, REDACTED)
        lower = s.lower()
        if _ANCHOR_SCAN.find_matches_as_indexes(lower):
            for anchors, rx, group in _CONTEXT:
                if any(a in lower for a in anchors) and rx.search(s):
                    s = rx.sub(partial(_mask, group=group), s)
        # _RUN.search(s), faster: a run is ASCII, and every other character (as UTF-8
        # bytes >= 0x80) breaks a run in the bytes as it does in the string
        if _RUN_MIN in s.encode("utf-8", "surrogatepass").translate(_RUN_BYTES):
            s = _RUN.sub(_mask_tokens, s)
        return s

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
            out: dict[str, Any] = {}
            for k, v in value.items():
                # null, "" and booleans hold no secret ({"token": false} says there is none)
                if _normal_key(k) in SECRET_KEYS and not _holds_no_secret(v):
                    out[self.text(k)] = REDACTED
                else:
                    out[self.text(k)] = self._json(v)
            return out
        if t is list:
            return [self._json(v) for v in value]
        return value

    def clean(self, encoded: bytes) -> bool:
        """True when the JSON text ``encoded`` (``orjson.dumps`` of some values) holds no
        candidate secret at all: then :meth:`text` and :meth:`json` leave every string, key
        and value inside it unchanged. A few scans of one buffer instead of a walk.

        Why a scan of the encoded text is enough. JSON escapes a string character by
        character, and only ``"``, ``\\`` and control characters, none of which is part of
        an anchor, a token run or a secret key. So a configured literal inside a string
        shows as its escaped form; a run of token characters shows unchanged; an anchor in
        a string's ``str.lower()`` shows in the buffer's ASCII lower case (only U+0130 and
        U+212A lower-case to ASCII letters: a buffer holding either is never vouched for);
        and a key whose normal form is a secret key shows as ``"key":``, which deleting
        ``-``, ``_`` and spaces from the lower-cased buffer turns into ``"secretkey":``. Any
        hit sends the caller down the exact path.
        """
        if self._escaped_literals is None or type(self) is not Redactor:
            return False  # (a subclass may redact more than this scan looks for)
        for lit in self._escaped_literals:
            if lit in encoded:
                return False
        if not encoded.isascii() and any(c in encoded for c in _LOWERS_TO_ASCII):
            return False
        lower = encoded.lower()
        if _ANCHOR_BYTES_SCAN.find_matches_as_indexes(lower):
            return False
        if _RUN_MIN in encoded.translate(_RUN_BYTES):
            return False
        return not _SECRET_KEY.find_matches_as_indexes(lower.translate(None, b"-_ "))


def _mask(m: re.Match[str], group: int) -> str:
    if group == 0:
        return REDACTED
    start, end = m.span(group)
    base = m.start()
    whole = m.group(0)
    return whole[: start - base] + REDACTED + whole[end - base:]


def _mask_tokens(m: re.Match[str]) -> str:
    run = m.group(0)
    if not _ANY_TOKEN.search(run):
        return run
    for rx in _TOKENS:
        if rx.search(run):
            run = rx.sub(REDACTED, run)
    return run

"""Secret-like names (``db_password``, ``secretToken``, ``X-Api-Key``) and text normalisation.

A name is compared in its *normal form*: Unicode compatibility forms folded (NFKC, so a
fullwidth or Kelvin-sign letter is its ASCII letter), invisible format characters (zero
width space, joiners, soft hyphen...) removed, lower case, and ``-``, ``_``, ``.`` and spaces
deleted. A name is secret-like when its normal form is one of :data:`SECRET_KEYS`, or ends
with one of :data:`SECRET_SUFFIXES` once trailing words that do not change what it names
(``value``, ``b64``, digits...) are dropped; so ``db_password``, ``STRIPE_SECRET_KEY``,
``secretToken``, ``x-api-key`` and ``password_super_secure`` are, and ``token_count``,
``max_tokens``, ``next_page_token``, ``public_key`` and ``secret_name`` are not.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Names whose values are secrets, compared whole (in normal form).
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

#: Normal-form endings that make a name secret-like (``dbpassword``, ``stripesecretkey``).
SECRET_SUFFIXES: tuple[str, ...] = (
    "password", "passwd", "passphrase", "pwd", "secret", "secrets", "token", "credential",
    "credentials", "creds", "cookie", "authorization", "auth", "dsn", "connectionstring",
    "databaseurl", "apikey", "privatekey", "secretkey", "accesskey", "signingkey",
    "encryptionkey", "masterkey", "clientkey", "sharedkey", "accountkey", "storagekey",
    "subscriptionkey", "hmackey", "sessionkey", "authkey", "appkey", "licensekey",
    "deploykey", "consumerkey", "iamkey", "cloudkey", "webhookkey",
)

#: Trailing words dropped before the ending is compared (``password_b64``, ``token2``).
NEUTRAL_ENDINGS: tuple[str, ...] = (
    "value", "val", "string", "str", "raw", "plaintext", "plain", "text", "base64", "b64",
    "hex", "encoded", "enc", "secure", "super", "sec", "base", "data", "here",
)

#: ``...token`` names that are no credential: tokenizer vocabulary and paging cursors.
NOT_SECRET_TOKEN_PREFIXES: tuple[str, ...] = (
    "eos", "bos", "pad", "unk", "sep", "cls", "mask", "stop", "special", "next", "page",
    "continuation", "cursor", "max", "num", "start", "end", "sync",
)

#: Normal forms too short to look for inside longer names: only ever matched whole.
WHOLE_ONLY = frozenset(k for k in SECRET_KEYS if not k.endswith(SECRET_SUFFIXES))

_SEPARATORS = str.maketrans("", "", "-_. ")
_TRAILING_DIGITS = re.compile(r"\d+$")
#: Every format character (Unicode category Cf: zero width space and joiners, soft
#: hyphen, bidi marks...): invisible, so never part of what a reader sees.
#: (All of them lie below U+20000 or in the tag block U+E0000-U+E007F.)
_FORMAT_CHARS = "".join(c for c in map(chr, (*range(0x20000), *range(0xE0000, 0xE0080)))
                        if unicodedata.category(c) == "Cf")
_FORMAT = re.compile(f"[{re.escape(_FORMAT_CHARS)}]")


def normalise(s: str) -> str:
    """``s`` as it reads: format characters removed, compatibility forms folded (NFKC).

    >>> normalise("pass\\u200bword \\uff21\\uff22")
    'password AB'
    """
    if s.isascii():
        return s
    return unicodedata.normalize("NFKC", _FORMAT.sub("", s))


def is_normal(s: str) -> bool:
    """True when :func:`normalise` leaves ``s`` as it is (cheaper than comparing)."""
    return s.isascii() or (_FORMAT.search(s) is None and unicodedata.is_normalized("NFKC", s))


def normal_key(key: str) -> str:
    """A name's normal form: normalised, lower case, without ``-``, ``_``, ``.`` and spaces."""
    return normalise(key).lower().translate(_SEPARATORS)


@lru_cache(maxsize=8192)
def is_secret_key(key: str) -> bool:
    """True when values under the name ``key`` are secrets (see the module docstring).

    >>> [is_secret_key(k) for k in ("db_password", "secretToken", "X-Api-Key", "max_tokens")]
    [True, True, True, False]
    """
    n = normal_key(key)
    if n in SECRET_KEYS:
        return True
    if n.endswith("pw"):
        if _last_word(key, neutral=False) == "pw":
            return True  # cloudant_pw, smtpPw
    elif "pass" in n and _last_word(key) == "pass":
        return True  # db_pass, smtpPass, db_pass_secure, but not bypass or compass
    while True:
        stripped = _TRAILING_DIGITS.sub("", n)
        for word in NEUTRAL_ENDINGS:
            if stripped.endswith(word) and len(stripped) > len(word):
                stripped = stripped[: -len(word)]
                break
        if stripped == n:
            break
        n = stripped
    if n in SECRET_KEYS and n not in WHOLE_ONLY:
        return True
    if not n.endswith(SECRET_SUFFIXES):
        return False
    return not (n.endswith("token") and n[:-5].endswith(NOT_SECRET_TOKEN_PREFIXES))


_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _last_word(key: str, *, neutral: bool = True) -> str:
    """The last word of ``key`` (split at separators and camelCase), with ``neutral`` the
    last that is not one of :data:`NEUTRAL_ENDINGS` or digits."""
    words = [w.lower() for w in _WORDS.findall(normalise(key))]
    while neutral and words and (words[-1].isdigit() or words[-1] in NEUTRAL_ENDINGS):
        words.pop()
    return words[-1] if words else ""


#: What :meth:`Redactor.clean` looks for in JSON text lower-cased and stripped of the
#: separators: every secret-like name contains one of these (the whole-only ones quoted).
KEY_ANCHORS: tuple[str, ...] = (*SECRET_SUFFIXES, "pass", 'pw"',
                                *(f'"{k}"' for k in sorted(WHOLE_ONLY)))

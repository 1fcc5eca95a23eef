"""Identifier formats: time-ordered ids for new records and the pattern every id must match."""

from __future__ import annotations

import os
import re
import time

#: Ids are 1..128 characters: letters, digits and ``._:@-``, starting with a letter or digit.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@\-]{0,127}$"
ID_MAX_LENGTH = 128
_ID_RE = re.compile(ID_PATTERN)


def new_id() -> str:
    """Return a new UUIDv7 string: 48 bits of Unix milliseconds, then random bits.

    Ids sort by creation time, which keeps cursors and indexes local.

    >>> len(new_id())
    36
    """
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | rand & ((1 << 80) - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def is_valid_id(value: str) -> bool:
    """True when ``value`` matches :data:`ID_PATTERN`."""
    return _ID_RE.fullmatch(value) is not None

"""Truncation of oversized text and JSON, with a marker that keeps the original size and hash."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

TRUNCATION_MARKER = "[TRUNCATED"


def truncate_text(s: str, max_bytes: int) -> str:
    """``s`` cut to at most ``max_bytes`` UTF-8 bytes, ending with a marker when cut.

    The marker names the original size in bytes and the SHA-256 of the original text, so
    the full value can be matched against a copy kept elsewhere.

    >>> truncate_text("abcdef" * 100, 200)[-104:-80]
    '…[TRUNCATED original_by'
    """
    if len(s) * 4 <= max_bytes:
        return s
    raw = s.encode("utf-8")
    if len(raw) <= max_bytes:
        return s
    marker = (f"…{TRUNCATION_MARKER} original_bytes={len(raw)} "
              f"sha256={hashlib.sha256(raw).hexdigest()}]")
    keep = max(0, max_bytes - len(marker.encode("utf-8")))
    head = raw[:keep].decode("utf-8", errors="ignore")
    return head + marker


def truncate_json(value: Any, max_bytes: int) -> Any:
    """``value`` itself when its canonical JSON fits ``max_bytes``, else a marker object.

    The marker object is ``{"_truncated": true, "original_bytes": n, "sha256": hex,
    "preview": <start of the JSON text>}``.
    """
    raw = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    if len(raw) <= max_bytes:
        return value
    preview_bytes = max(0, min(1024, max_bytes - 200))
    return {
        "_truncated": True,
        "original_bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "preview": raw[:preview_bytes].decode("utf-8", errors="ignore"),
    }

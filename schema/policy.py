"""What storage does to content before hashing: redaction, truncation, per-agent opt-out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .redaction import Redactor
from .truncation import truncate_json, truncate_text

DEFAULT_MAX_TEXT_BYTES = 64 * 1024
DEFAULT_MAX_JSON_BYTES = 256 * 1024


@dataclass(frozen=True)
class StoragePolicy:
    """Applied to every text and JSON field of every record, before it is hashed.

    Redaction runs first, so neither a stored value nor a truncation marker's hash is
    computed over a secret.
    """

    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES
    redactor: Redactor = field(default_factory=Redactor)
    #: Agents whose step contents are never stored (``include_reasoning_trace = false``).
    agents_without_reasoning: frozenset[str] = frozenset()

    def text(self, s: str | None) -> str | None:
        if s is None:
            return None
        return truncate_text(self.redactor.text(s), self.max_text_bytes)

    def json(self, value: Any) -> Any:
        if value is None:
            return None
        return truncate_json(self.redactor.json(value), self.max_json_bytes)

    def texts(self, values: list[str]) -> list[str]:
        return [truncate_text(self.redactor.text(v), self.max_text_bytes) for v in values]


DEFAULT_POLICY = StoragePolicy()

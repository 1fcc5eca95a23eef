"""What storage does to content before hashing: redaction, truncation, per-agent opt-out."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from .inputs import utc_iso
from .limits import ClockWindow
from .redaction import Redactor
from .truncation import truncate_json, truncate_text

DEFAULT_MAX_TEXT_BYTES = 64 * 1024
DEFAULT_MAX_JSON_BYTES = 256 * 1024


#: :func:`utc_iso` of a given time, remembered: a span's step and API call, a trace's
#: records, share their times (equal aware datetimes are one instant: one UTC text).
_utc_iso = functools.lru_cache(maxsize=1024, typed=True)(utc_iso)


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
    #: The deployment-wide ledger switch (seed 001's "CoT enabled"): off, no agent's step
    #: contents are stored, exactly as if every agent were in :attr:`agents_without_reasoning`.
    reasoning_ledger: bool = True
    #: How far client-given times may be from the server's clock (``createdAt``...).
    clock: ClockWindow = field(default_factory=ClockWindow)

    def keeps_reasoning(self, agent_id: str | None) -> bool:
        """Whether step contents of ``agent_id``'s traces are stored (the deployment switch
        and the per-agent opt-out)."""
        return self.reasoning_ledger and agent_id not in self.agents_without_reasoning

    def time(self, value: datetime | None, *, field: str = "createdAt") -> str:
        """A client-given time as stored (ISO 8601 UTC), refused outside :attr:`clock`'s
        window; the server's time when none is given."""
        if value is None:
            return utc_iso()
        return _utc_iso(self.clock.check(value, field=field))

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

    def untouched(self, values: tuple[Any, ...]) -> bool:
        """True when :meth:`text`, :meth:`json` and :meth:`texts` leave every one of
        ``values`` as it is: nothing to redact and nothing to truncate.

        One ``orjson`` encoding of all of them and a few scans of it (see
        :meth:`Redactor.clean`), instead of a walk of every string: the common case of
        storing a step. Each value's encoding is part of the whole, and a text's UTF-8 size
        is at most its encoded size, so a whole within both size limits means nothing is cut.
        """
        if type(self) is not StoragePolicy:
            return False  # (a subclass may store less than this check assumes)
        try:
            encoded = orjson.dumps(values)
        except orjson.JSONEncodeError:
            return False
        if len(encoded) > min(self.max_text_bytes, self.max_json_bytes):
            return False
        return self.redactor.clean(encoded)


DEFAULT_POLICY = StoragePolicy()

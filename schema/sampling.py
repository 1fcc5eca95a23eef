"""Which steps are embedded for semantic search: seed 001's sampling policy, as pure functions.

A deployment embeds a fraction of steps (10% by default) and every step of the critical
types (Decision, Action, Error, Correction, FinalAnswer). The choice is deterministic per
step: a step is in the sample when the first 8 bytes of BLAKE2b(tenant id, step id), read as
a number in [0, 1), are below the rate, so the same step is always in or always out, on every
server and after every restart, and raising the rate only adds steps. A tenant may have its
own rate and types. A step with no text (its agent opted out of storing reasoning) is never
embedded: there is nothing to embed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidInput

#: Seed 001: "Default 10% of steps are embedded".
DEFAULT_RATE = 0.10
#: Seed 001's critical step types, always embedded.
ALWAYS_EMBEDDED = frozenset({"Decision", "Action", "Error", "Correction", "FinalAnswer"})
_SCALE = float(1 << 64)


def sample_point(tenant_id: str, step_id: str) -> float:
    """The step's fixed place in [0, 1): the same for the same tenant and step id, always."""
    digest = hashlib.blake2b(f"{tenant_id}\x00{step_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


@dataclass(frozen=True)
class EmbeddingSampling:
    """The fraction of steps embedded and the step types embedded whatever the fraction."""

    rate: float = DEFAULT_RATE
    always: frozenset[str] = ALWAYS_EMBEDDED

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise InvalidInput(f"embeddingSampleRate: {self.rate} is not between 0.0 and 1.0",
                               field="embeddingSampleRate")

    def selects(self, tenant_id: str, step_id: str, step_type: str) -> bool:
        """Whether this policy embeds the step (its text aside: see :func:`embedding_text`)."""
        return step_type in self.always or sample_point(tenant_id, step_id) < self.rate


@dataclass(frozen=True)
class SamplingPolicy:
    """The deployment's :class:`EmbeddingSampling` and any tenant's own."""

    default: EmbeddingSampling = field(default_factory=EmbeddingSampling)
    tenants: Mapping[str, EmbeddingSampling] = field(default_factory=dict)

    def for_tenant(self, tenant_id: str) -> EmbeddingSampling:
        return self.tenants.get(tenant_id, self.default)

    def embeds(self, tenant_id: str, record: Mapping[str, Any]) -> bool:
        """Whether the step ``record`` of ``tenant_id`` is embedded: selected by the tenant's
        sampling and with text to embed."""
        return embedding_text(record) is not None and self.for_tenant(tenant_id).selects(
            tenant_id, str(record["step_id"]), str(record.get("step_type", "")))


DEFAULT_SAMPLING = SamplingPolicy()


def embedding_text(record: Mapping[str, Any]) -> str | None:
    """The text a step is embedded by: its reasoning, else its input/output summaries;
    ``None`` when it has none of them (nothing to embed)."""
    content = record.get("content")
    if isinstance(content, str) and content.strip():
        return content
    parts = [record.get("input_summary"), record.get("output_summary")]
    text = "\n".join(p for p in parts if isinstance(p, str) and p.strip())
    return text or None

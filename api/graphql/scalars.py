"""Custom scalars: ``DateTime`` (ISO 8601 UTC strings as stored); ``JSON`` is strawberry's."""

from __future__ import annotations

from datetime import datetime
from typing import NewType

import strawberry
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition
from tracegraph.schema.inputs import utc_iso

__all__ = ["JSON", "SCALARS", "DateTime"]


def _serialize(value: object) -> str:
    if isinstance(value, datetime):
        return utc_iso(value)
    return str(value)


def _parse(value: object) -> str:
    """Any ISO 8601 date-time, normalised to the stored UTC form (no zone means UTC)."""
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO 8601 string")
    try:
        return utc_iso(datetime.fromisoformat(value))
    except ValueError:
        raise ValueError(f"not an ISO 8601 date-time: {value[:64]}") from None


DateTime = NewType("DateTime", str)

DATETIME_SCALAR = strawberry.scalar(
    name="DateTime",
    description="An ISO 8601 date-time in UTC, e.g. 2025-01-31T12:00:00.000000Z.",
    serialize=_serialize,
    parse_value=_parse,
)

#: Passed to ``strawberry.Schema(scalar_overrides=...)``.
SCALARS: dict[object, ScalarDefinition] = {DateTime: DATETIME_SCALAR}

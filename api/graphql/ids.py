"""Id arguments checked at the GraphQL edge, so no error message echoes an unbounded string."""

from __future__ import annotations

from tracegraph.api.service import alternative_parts
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.ids import ID_MAX_LENGTH, is_valid_id

SHOWN = 64


def checked_id(value: str, field: str, *, node: bool = False) -> str:
    """``value`` when it is a valid id; otherwise ``InvalidInput`` naming the field.

    ``node`` also accepts alternative node ids (``<step id>#alt<index>``).

    >>> checked_id("t-1", "traceId")
    't-1'
    >>> checked_id("s1#alt2", "nodeId", node=True)
    's1#alt2'
    """
    if is_valid_id(value):
        return value
    parts = alternative_parts(value) if node else None
    if parts is not None and is_valid_id(parts[0]):
        return value
    shown = repr(value[:SHOWN]) + ("..." if len(value) > SHOWN else "")
    raise InvalidInput(f"{field}: {shown} is not a valid id (1..{ID_MAX_LENGTH} letters, "
                       "digits and ._:@-, starting with a letter or digit)", field=field)

"""Relay ``Node``: global ids for traces, steps, API calls and human inputs.

A global id is the URL-safe base64 of ``<Type>:<trace id>`` for a trace and of
``<Type>:<trace id>/<record id>`` for a record of a trace (ids never hold ``/``), so
``node(id:)`` finds a record through its trace's DataLoader.

>>> decode_global_id(global_id("Step", "t1", "s1"))
('Step', 't1', 's1')
>>> decode_global_id(global_id("Trace", "t1"))
('Trace', 't1', None)
"""

from __future__ import annotations

import base64
import binascii

import strawberry
from tracegraph.schema.errors import InvalidInput

NODE_TYPES = ("Trace", "Step", "ApiCall", "HumanInput")


def global_id(type_name: str, trace_id: str, record_id: str | None = None) -> strawberry.ID:
    raw = f"{type_name}:{trace_id}" if record_id is None else (
        f"{type_name}:{trace_id}/{record_id}")
    return strawberry.ID(base64.urlsafe_b64encode(raw.encode()).decode())


def decode_global_id(value: str) -> tuple[str, str, str | None]:
    """``(type, trace id, record id or None)``; ``InvalidInput`` for ids this server never
    issued."""
    try:
        raw = base64.urlsafe_b64decode(value.encode()).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raw = ""
    type_name, _, rest = raw.partition(":")
    trace_id, _, record_id = rest.partition("/")
    if type_name not in NODE_TYPES or not trace_id or (type_name != "Trace") != bool(record_id):
        raise InvalidInput(f"id: {value[:64]!r} is not a global id this server issued",
                           field="id")
    return type_name, trace_id, record_id or None


@strawberry.interface(name="Node", description="An object with a global id (Relay).")
class Node:
    @strawberry.field(description="Global id, for node(id:).")
    def id(self) -> strawberry.ID:  # implemented by each type
        raise NotImplementedError

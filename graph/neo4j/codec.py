"""Chain entries to Neo4j node properties and back, losslessly.

An entry node holds the envelope (``tenant_id``, ``trace_id``, ``chain_seq``, ``prev_hash``,
``kind``, ``version``, ``hash``), its position ``seq`` and one property per record field:
``r_<field>`` when
Neo4j stores the value as it is (a string, an integer, a float, a boolean, a non-empty list
of strings), ``j_<field>`` holding the value's canonical JSON (RFC 8785) otherwise (objects,
other lists). :func:`entry_from_properties` rebuilds the entry from these properties alone,
so a property changed behind tracegraph's back changes the rebuilt entry and verification
reports it; other properties (``node_id``) are indexes and are ignored.

``seq`` orders the chain (unique per trace: the constraint that makes a fork impossible);
``chain_seq`` is the seq inside the hashed entry. They differ only when entries were
renumbered behind tracegraph's back: the rebuilt entry then carries ``seq`` as its
``stored_seq``, and verification reports entries inserted, missing, reordered or renumbered
(like the embedded store's ``seq`` column beside the hashed body).
"""

from __future__ import annotations

from typing import Any

import orjson
from tracegraph.schema.canonical import canonical_json
from tracegraph.schema.chain import ChainEntry

NATIVE_PREFIX = "r_"
JSON_PREFIX = "j_"
_INT64 = 2**63


def _native(value: Any) -> bool:
    """True when Neo4j stores ``value`` as a property and returns it unchanged."""
    t = type(value)
    if t is str or t is bool or t is float:
        return True
    if t is int:
        return bool(-_INT64 <= value < _INT64)
    if t is list:
        return bool(value) and all(type(v) is str for v in value)
    return False


def property_name(key: str, value: Any) -> str:
    """The property a record field is stored under.

    >>> property_name("content", "x"), property_name("input_data", {"a": 1})
    ('r_content', 'j_input_data')
    """
    return (NATIVE_PREFIX if _native(value) else JSON_PREFIX) + key


def entry_properties(e: ChainEntry) -> dict[str, Any]:
    """The properties of an entry node (without indexes such as ``node_id``).

    >>> from tracegraph.schema.chain import seal
    >>> e = seal("t", "tr", 0, "0" * 64, "trace_started", {"goal": "g", "metadata": {"k": 1}})
    >>> p = entry_properties(e)
    >>> p["r_goal"], p["j_metadata"], p["seq"]
    ('g', '{"k":1}', 0)
    >>> entry_from_properties(p) == e
    True
    """
    props: dict[str, Any] = {
        "tenant_id": e.tenant_id,
        "trace_id": e.trace_id,
        "seq": e.seq,
        "chain_seq": e.seq,
        "prev_hash": e.prev_hash,
        "kind": e.kind,
        "version": e.version,
        "hash": e.hash,
    }
    for key, value in e.record.items():
        if _native(value):
            props[NATIVE_PREFIX + key] = value
        else:
            props[JSON_PREFIX + key] = canonical_json(value).decode()
    return props


def record_from_properties(props: dict[str, Any]) -> dict[str, Any]:
    """The record fields among a node's properties."""
    record: dict[str, Any] = {}
    for name, value in props.items():
        if name.startswith(NATIVE_PREFIX):
            record[name[2:]] = value
        elif name.startswith(JSON_PREFIX):
            try:
                record[name[2:]] = orjson.loads(value)
            except (orjson.JSONDecodeError, TypeError):
                record[name[2:]] = value  # not JSON any more: altered; verification says so
    return record


def entry_from_properties(props: dict[str, Any]) -> ChainEntry:
    """Rebuild a chain entry from an entry node's properties.

    A missing envelope property (removed behind the store's back) becomes a value that
    cannot verify (empty string, seq -1, version 0) rather than an error, so verification
    names the entry. (The seq is ``chain_seq``, the hashed one; ``seq`` only orders.)
    """
    seq = props.get("chain_seq")
    version = props.get("version")
    position = props.get("seq")
    return ChainEntry(
        tenant_id=str(props.get("tenant_id", "")),
        trace_id=str(props.get("trace_id", "")),
        seq=seq if type(seq) is int else -1,
        prev_hash=str(props.get("prev_hash", "")),
        kind=str(props.get("kind", "")),
        record=record_from_properties(props),
        hash=str(props.get("hash", "")),
        version=version if type(version) is int else 0,
        # (verification reports an entry filed under another seq than its hashed one)
        stored_seq=position if type(position) is int and position != seq else None,
    )

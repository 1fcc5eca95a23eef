"""How a chain entry's record is stored on its Dgraph node: ``rec.*`` predicates.

Each known record field has a predicate and a codec that round-trips its value exactly:

* ``str``: a Dgraph ``string``;
* ``int``: a Dgraph ``int`` (64-bit);
* ``num``: a Dgraph ``float`` (any JSON number: integral values come back as ints, as
  :func:`~tracegraph.schema.canonical.json_number` writes them in records);
* ``bool``: a Dgraph ``bool``;
* ``json``: JSON payloads, lists and objects, as RFC 8785 canonical JSON text in a
  ``string`` (order-preserving, unlike Dgraph's ``[string]`` sets).

Two layouts, chosen per trace when it starts (``trace.packed``, see ``store.py``):

* **packed** (every trace started by this code): the fields DQL reads by name, ``created_at``
  and ``depends_on`` (edge order, :data:`APART`), as their own predicates, and every other
  field in ``rec.body``, one canonical JSON object, present on every packed entry. Each
  triple costs the alpha a posting list (written, rolled up, compacted, and read back
  predicate by predicate), so a step is about a dozen triples instead of thirty and reads
  back with a third of the predicates.
* **per field** (traces started before): each field of the kind's table (:data:`KIND_FIELDS`)
  as its own predicate; a field the kind does not list, or a value its codec cannot hold
  exactly, in ``rec.extra``. Appends to such a trace keep writing this layout, so a trace
  is read one way.

Reads of a packed trace's entries ask for :data:`PACKED_PREDICATES` only; reads of a per-field
entry of a kind ask for that kind's predicates and ``rec.extra`` only
(:data:`KIND_PREDICATES`; a node whose type names no kind is read with every predicate)
and rebuild the record from them alone, so a raw DQL change of any predicate they read
changes the rebuilt record and its hash, and a predicate they do not read is not part of
any record that is served."""

from __future__ import annotations

from typing import Any, Literal

import orjson
from tracegraph.schema.canonical import canonical_json, json_number

Codec = Literal["str", "int", "num", "bool", "json"]

_FIELD_CODECS: dict[Codec, tuple[str, ...]] = {
    "str": (
        "session_id", "agent_id", "actor_urn", "goal", "parent_trace_id",
        "spawned_by_step_id", "created_at", "step_id", "step_type", "content",
        "reasoning_hash", "input_summary", "output_summary", "selected_alternative",
        "model_id", "call_id", "api_type", "endpoint", "method", "error", "input_id",
        "question", "answer", "answered_by", "answered_at", "status", "outcome",
        "final_answer", "error_details", "completed_at",
    ),
    "int": (
        "step_index", "input_tokens", "output_tokens", "thinking_tokens", "status_code",
        "request_tokens", "response_tokens",
    ),
    "num": ("confidence", "duration_ms", "latency_ms", "cost_usd"),
    "bool": ("include_reasoning_trace",),
    "json": (
        "metadata", "input_data", "output_data", "alternatives_considered", "depends_on",
        "totals", "model_ids_used", "path_taken",
    ),
}
_DGRAPH_TYPE: dict[Codec, str] = {
    "str": "string", "int": "int", "num": "float", "bool": "bool", "json": "string",
}

#: record key -> (predicate, codec)
RECORD_FIELDS: dict[str, tuple[str, Codec]] = {
    key: (f"rec.{key}", codec) for codec, keys in _FIELD_CODECS.items() for key in keys
}
#: Fields outside the table, as one canonical JSON object (per-field layout).
EXTRA = "rec.extra"
#: The fields of a packed entry other than :data:`APART`, as one canonical JSON object.
BODY = "rec.body"
RECORD_PREDICATES: tuple[str, ...] = (*(p for p, _ in RECORD_FIELDS.values()), EXTRA, BODY)
RECORD_SCHEMA = "\n".join(
    [f"{p}: {_DGRAPH_TYPE[c]} ." for p, c in RECORD_FIELDS.values()]
    + [f"{EXTRA}: string .", f"{BODY}: string ."]
)
_BY_PREDICATE: dict[str, tuple[str, Codec]] = {p: (k, c) for k, (p, c) in RECORD_FIELDS.items()}

#: entry kind -> the record fields stored as their own predicates
KIND_FIELDS: dict[str, frozenset[str]] = {
    "trace_started": frozenset({
        "session_id", "agent_id", "actor_urn", "goal", "parent_trace_id",
        "spawned_by_step_id", "metadata", "include_reasoning_trace", "created_at",
    }),
    "step": frozenset({
        "step_id", "step_type", "content", "reasoning_hash", "input_data", "output_data",
        "input_summary", "output_summary", "alternatives_considered", "selected_alternative",
        "confidence", "duration_ms", "model_id", "input_tokens", "output_tokens",
        "thinking_tokens", "depends_on", "metadata", "created_at", "step_index",
    }),
    "api_call": frozenset({
        "call_id", "step_id", "api_type", "endpoint", "method", "status_code", "latency_ms",
        "request_tokens", "response_tokens", "cost_usd", "error", "created_at",
    }),
    "human_input": frozenset({
        "input_id", "step_id", "question", "answer", "answered_by", "answered_at",
        "created_at",
    }),
    "trace_completed": frozenset({
        "status", "outcome", "final_answer", "confidence", "error_details", "completed_at",
        "totals", "model_ids_used", "path_taken",
    }),
}
#: entry kind -> the ``rec.*`` predicates its entries are read with (``rec.extra`` included)
KIND_PREDICATES: dict[str, tuple[str, ...]] = {
    kind: (*(RECORD_FIELDS[k][0] for k in sorted(keys)), EXTRA)
    for kind, keys in KIND_FIELDS.items()
}
#: Fields a packed entry keeps as their own predicates: those DQL reads by name
#: (``dql._END``, ``trace.start { rec.created_at }``: edge order).
APART = frozenset({"created_at", "depends_on"})
#: The ``rec.*`` predicates a packed entry is read with, whatever its kind.
PACKED_PREDICATES: tuple[str, ...] = (*(RECORD_FIELDS[k][0] for k in sorted(APART)), BODY)
_INT64 = 2**63
_SAFE = 2**53


def _json_text(value: Any) -> str:
    return canonical_json(value).decode("utf-8")


def _fits(codec: Codec, value: Any) -> bool:
    """True when ``codec`` stores ``value`` exactly."""
    t = type(value)
    if codec == "str" or codec == "json":
        return t is str if codec == "str" else True
    if codec == "int":
        return t is int and -_INT64 <= value < _INT64
    if codec == "num":
        return (t is int and -_SAFE <= value <= _SAFE) or (t is float and value == value
                                                           and abs(value) != float("inf"))
    return t is bool


def encode_record(record: dict[str, Any], kind: str | None = None, *,
                  packed: bool = False) -> dict[str, Any]:
    """The ``rec.*`` predicates of a record of ``kind``, as values for a JSON mutation.

    Per field (the default): the fields of the kind's table apart (of every kind's without
    a kind), the rest in ``rec.extra``. ``packed``: :data:`APART` apart, the rest in
    ``rec.body`` (always there, ``{}`` at least).

    >>> encode_record({"step_id": "s1", "confidence": 0.5, "depends_on": ["s0"], "x": 1})
    {'rec.step_id': 's1', 'rec.confidence': 0.5, 'rec.depends_on': '["s0"]', 'rec.extra': '{"x":1}'}
    >>> encode_record({"step_id": "s1", "goal": "g"}, "step")
    {'rec.step_id': 's1', 'rec.extra': '{"goal":"g"}'}
    >>> encode_record({"step_id": "s1", "created_at": "t", "goal": "g"}, "step", packed=True)
    {'rec.created_at': 't', 'rec.body': '{"goal":"g","step_id":"s1"}'}
    """
    out: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    own = APART if packed else KIND_FIELDS.get(kind) if kind is not None else None
    for key, value in record.items():
        spec = RECORD_FIELDS.get(key)
        if spec is None or (own is not None and key not in own) or not _fits(spec[1], value):
            rest[key] = value
        elif spec[1] == "json":
            out[spec[0]] = _json_text(value)
        else:
            out[spec[0]] = value
    if packed:
        out[BODY] = _json_text(rest)
    elif rest:
        out[EXTRA] = _json_text(rest)
    return out


def decode_record(node: dict[str, Any]) -> dict[str, Any]:
    """Rebuild a record from the ``rec.*`` predicates of a node as Dgraph returns them.

    >>> decode_record({"rec.step_id": "s1", "rec.confidence": 0.5, "rec.duration_ms": 12.0,
    ...                "rec.depends_on": '["s0"]', "rec.extra": '{"x":1}', "uid": "0x1"})
    {'step_id': 's1', 'confidence': 0.5, 'duration_ms': 12, 'depends_on': ['s0'], 'x': 1}
    """
    out: dict[str, Any] = {}
    for pred, value in node.items():
        spec = _BY_PREDICATE.get(pred)
        if spec is None:
            continue
        key, codec = spec
        if codec == "json":
            out[key] = orjson.loads(value)
        elif codec == "num" and type(value) is float:
            out[key] = json_number(value)
        else:
            out[key] = value
    for rest in (EXTRA, BODY):
        if rest in node:
            out.update(orjson.loads(node[rest]))
    return out


# -- N-Quads -------------------------------------------------------------------------------------
_XS = {"int": "xs:int", "num": "xs:float", "bool": "xs:boolean"}


def literal(value: str | int | float | bool) -> str:
    """An N-Quads literal for a Python value: strings as JSON string literals (whose escapes
    are all valid N-Quads escapes), numbers and booleans typed.

    >>> print(literal('say "hi"\\n'), literal(3), literal(0.5), literal(True))
    "say \\"hi\\"\\n" "3"^^<xs:int> "0.5"^^<xs:float> "true"^^<xs:boolean>
    """
    t = type(value)
    if t is str:
        return orjson.dumps(value).decode("utf-8")
    if t is bool:
        return '"true"^^<xs:boolean>' if value else '"false"^^<xs:boolean>'
    if t is int:
        return f'"{value}"^^<xs:int>'
    if t is float:
        return f'"{value!r}"^^<xs:float>'
    raise TypeError(f"no N-Quads literal for {t.__name__}")


def record_literals(record: dict[str, Any], kind: str | None = None, *,
                    packed: bool = False) -> list[tuple[str, str]]:
    """``(predicate, N-Quads literal)`` of every ``rec.*`` predicate of a record.

    >>> for pred, lit in record_literals({"step_id": "s1", "duration_ms": 12, "tags": ["a"]}):
    ...     print(pred, lit)
    rec.step_id "s1"
    rec.duration_ms "12.0"^^<xs:float>
    rec.extra "{\\"tags\\":[\\"a\\"]}"
    """
    out: list[tuple[str, str]] = []
    for pred, value in encode_record(record, kind, packed=packed).items():
        spec = _BY_PREDICATE.get(pred)
        codec = spec[1] if spec else "str"
        if codec == "num":
            out.append((pred, f'"{float(value)!r}"^^<xs:float>'))
        elif codec in _XS:
            out.append((pred, literal(value)))
        else:
            out.append((pred, orjson.dumps(value).decode("utf-8")))
    return out

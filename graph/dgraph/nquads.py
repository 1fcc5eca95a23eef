"""N-Quads mutations built from data: node references and typed literals, never raw text.

Dgraph parses RDF N-Quads faster than JSON mutations (its JSON path tries every string as
a vector first), so appends send N-Quads. Every subject and object is either a blank node
we name (``_:e3``) or a uid Dgraph returned (``<0x1f>``, checked), and every value goes
through :func:`~tracegraph.graph.dgraph.codec.literal`.
"""

from __future__ import annotations

import re
from typing import Any

from .codec import literal, record_literals

_UID = re.compile(r"0x[0-9a-f]+")


def node_ref(uid: str) -> str:
    """``<0x..>`` for a uid Dgraph returned.

    >>> node_ref("0x1f")
    '<0x1f>'
    """
    if not _UID.fullmatch(uid):
        raise ValueError(f"not a Dgraph uid: {uid!r}")
    return f"<{uid}>"


class NQuads:
    """Lines of one N-Quads mutation; subjects and objects are blank nodes or node refs."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def value(self, subject: str, predicate: str, value: str | int | float | bool) -> None:
        self.lines.append(f"{subject} <{predicate}> {literal(value)} .")

    def link(self, subject: str, predicate: str, obj: str) -> None:
        self.lines.append(f"{subject} <{predicate}> {obj} .")

    def record(self, subject: str, record: dict[str, Any], kind: str, *, packed: bool) -> None:
        """The ``rec.*`` predicates of a record of ``kind``, in the packed layout or per field
        (see ``codec.py``)."""
        self.lines.extend(f"{subject} <{p}> {lit} ."
                          for p, lit in record_literals(record, kind, packed=packed))

    def text(self) -> bytes:
        return "\n".join(self.lines).encode("utf-8")

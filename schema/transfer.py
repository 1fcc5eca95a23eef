"""The export file: a tenant's history as JSON Lines, to move it between backends.

One JSON object per line (docs/export-import.md is the contract), in this order:

1. an ``export`` header: format, version, tenant, the time and the log size it was read at;
2. every leaf of the tenant's Merkle log in leaf order (the order the store accepted them):
   an ``entry`` line per chain entry (every hashed member and its hash, and its session),
   a ``tombstone`` line per retention tombstone, a ``removed_entry`` line per entry that
   retention removed (its log record);
3. an ``end`` line with the counts, so a cut file is told from a whole one.

Entry, tombstone and removed-entry bodies are those of the audit bundle
(:mod:`.bundle`), without proofs. Importing replays each trace's entries in this order
through the store's ordinary append, so each one is sealed again and must come out with the
very hash it had: an export is checked line by line when read (every hash recomputed, every
chain continued) and again when stored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from .bundle import EntryBody, RemovedEntryBody, TombstoneBody, _Line
from .chain import ChainEntry
from .merkle_leaf import EntryLeaf, TombstoneLeaf

EXPORT_FORMAT = "tracegraph-export"
EXPORT_VERSION = 1


class ExportHeader(_Line):
    type: Literal["export"]
    format: Literal["tracegraph-export"]
    version: Literal[1]
    tenant_id: str
    exported_at: str
    log_size: int = Field(ge=0)


class ExportEntry(_Line):
    type: Literal["entry"]
    leaf_index: int = Field(ge=0)
    session_id: str
    entry: EntryBody


class ExportTombstone(_Line):
    type: Literal["tombstone"]
    leaf_index: int = Field(ge=0)
    tombstone: TombstoneBody


class ExportRemovedEntry(_Line):
    type: Literal["removed_entry"]
    leaf_index: int = Field(ge=0)
    leaf: RemovedEntryBody


class ExportEnd(_Line):
    type: Literal["end"]
    entries: int = Field(ge=0)
    tombstones: int = Field(ge=0)
    removed_entries: int = Field(ge=0)


ExportLine = Annotated[ExportHeader | ExportEntry | ExportTombstone | ExportRemovedEntry
                       | ExportEnd, Field(discriminator="type")]
EXPORT_LINE: TypeAdapter[ExportLine] = TypeAdapter(ExportLine)


def header(tenant_id: str, exported_at: str, log_size: int) -> dict[str, Any]:
    return {"type": "export", "format": EXPORT_FORMAT, "version": EXPORT_VERSION,
            "tenant_id": tenant_id, "exported_at": exported_at, "log_size": log_size}


def entry(e: ChainEntry, session_id: str, leaf_index: int) -> dict[str, Any]:
    return {"type": "entry", "leaf_index": leaf_index, "session_id": session_id,
            "entry": e.to_json()}


def tombstone(leaf: TombstoneLeaf, leaf_index: int) -> dict[str, Any]:
    body = {"version": 1, "tenant_id": leaf.tenant_id, "session_id": leaf.session_id,
            "trace_id": leaf.trace_id, "entry_count": leaf.entry_count,
            "final_hash": leaf.final_hash, "removed_at": leaf.removed_at,
            "hash": leaf.tombstone_hash}
    return {"type": "tombstone", "leaf_index": leaf_index, "tombstone": body}


def removed_entry(leaf: EntryLeaf, leaf_index: int) -> dict[str, Any]:
    body = leaf.record()
    del body["leaf"]
    return {"type": "removed_entry", "leaf_index": leaf_index, "leaf": body}


def end(entries: int, tombstones: int, removed_entries: int) -> dict[str, Any]:
    return {"type": "end", "entries": entries, "tombstones": tombstones,
            "removed_entries": removed_entries}

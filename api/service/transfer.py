"""Export a tenant's history as JSON Lines and import it into any backend, every hash kept.

The export reads the tenant's Merkle log in leaf order (the order the store accepted the
entries, across traces: a step that depends on a step of another trace comes after it) and
writes each leaf's entry, tombstone or removed-entry record (:mod:`tracegraph.schema.transfer`).

The import reads such a file as a stream, checks every line (the hash recomputed from the
hashed members, the chain continued from the entry before it), and replays each trace's
consecutive entries through the store's ordinary append, which seals them again: an entry
that came out with another hash stops the import, naming it. Entries the target already
holds with the same hashes are skipped, so an interrupted import is resumed by running it
again. The target's log is its own (leaf order is the import order; checkpoints of the
source do not apply to it).

A trace that retention removed before the export comes as the log records of its removed
entries and its tombstone: the import restores the tombstone and appends those records and the
tombstone to the target's log (``LogStore.restore_tombstone``), so the target verifies the
removal the way the source did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import orjson
from pydantic import ValidationError
from tracegraph.graph.protocol import GraphStore, Tombstone
from tracegraph.schema import transfer
from tracegraph.schema.bundle import TombstoneBody
from tracegraph.schema.chain import GENESIS_PREV_HASH, ChainEntry, hash_matches
from tracegraph.schema.errors import ChainConflict, InvalidInput, TraceGraphError
from tracegraph.schema.inputs import utc_iso
from tracegraph.schema.merkle_leaf import EntryLeaf

from .log_verify import log_store
from .traces import TraceService

#: Leaves read per store round trip while exporting, and entries per append while importing.
EXPORT_CHUNK = 2000
IMPORT_BATCH = 500
Progress = Callable[[int], None]


class ImportFailed(TraceGraphError):
    """The file holds something the target cannot take as it is; nothing after it is read."""

    code = "IMPORT_FAILED"
    http_status = 409


@dataclass
class ImportReport:
    """What an import did."""

    tenant_id: str = ""
    entries_stored: int = 0
    entries_already_present: int = 0
    traces: set[str] = field(default_factory=set)
    tombstones_restored: int = 0
    tombstones_already_present: int = 0
    removed_entries: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"tenant_id": self.tenant_id, "entries_stored": self.entries_stored,
                "entries_already_present": self.entries_already_present,
                "traces": len(self.traces),
                "tombstones_restored": self.tombstones_restored,
                "tombstones_already_present": self.tombstones_already_present,
                "removed_entries": self.removed_entries}


def log_size(service: TraceService, tenant_id: str) -> int:
    """How many leaves an export of the tenant will write (for a progress bar)."""
    return log_store(service.store).log_head(tenant_id).size


def export_lines(service: TraceService, tenant_id: str,
                 progress: Progress | None = None) -> Iterator[dict[str, object]]:
    """Every line of the tenant's export, in order. An entry that no longer matches its log
    leaf (changed in the database) stops the export: verify the tenant first."""
    store = service.store
    log = log_store(store)
    size = log.log_head(tenant_id).size
    yield transfer.header(tenant_id, utc_iso(), size)
    counts = [0, 0, 0]
    for start in range(0, size, EXPORT_CHUNK):
        leaves = log.log_leaves(tenant_id, start, min(start + EXPORT_CHUNK, size))
        refs = [(s.leaf.trace_id, s.leaf.seq) for s in leaves if isinstance(s.leaf, EntryLeaf)]
        found = store.entries_at(tenant_id, refs)
        for stored in leaves:
            leaf = stored.leaf
            if not isinstance(leaf, EntryLeaf):
                counts[1] += 1
                yield transfer.tombstone(leaf, stored.leaf_index)
                continue
            e = found.get((leaf.trace_id, leaf.seq))
            if e is None:
                counts[2] += 1
                yield transfer.removed_entry(leaf, stored.leaf_index)
            elif e.hash != leaf.entry_hash or not hash_matches(e):
                raise ImportFailed(f"entry {leaf.seq} of trace {leaf.trace_id} does not match "
                                   f"log leaf {stored.leaf_index}: the store was changed; run "
                                   "tracegraph verify before exporting")
            else:
                counts[0] += 1
                yield transfer.entry(e, leaf.session_id, stored.leaf_index)
        if progress is not None:
            progress(len(leaves))
    yield transfer.end(*counts)


def parse_lines(raw: Iterable[bytes]) -> Iterator[tuple[int, transfer.ExportLine]]:
    """The file's lines as models with their numbers; a line that is not one names its
    number and the field."""
    for number, line in enumerate(raw, start=1):
        if not line.strip():
            continue
        try:
            yield number, transfer.EXPORT_LINE.validate_python(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"line {number}: not JSON ({exc})", field=f"line {number}") \
                from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"line {number}: {where}: {first['msg']}",
                               field=f"line {number}") from None


class _Importer:
    def __init__(self, store: GraphStore, progress: Progress | None) -> None:
        self.store, self.progress = store, progress
        self.report = ImportReport()
        self.pending: list[ChainEntry] = []
        self.heads: dict[str, tuple[int, str]] = {}  # trace -> (next seq, head hash) read
        self.removed: dict[str, list[EntryLeaf]] = {}  # trace -> removed entries' records

    def take(self, line: transfer.ExportLine, number: int) -> None:
        if isinstance(line, transfer.ExportHeader):
            if self.report.tenant_id:
                raise InvalidInput(f"line {number}: a second export header", field="type")
            self.report.tenant_id = line.tenant_id
            return
        if not self.report.tenant_id:
            raise InvalidInput(f"line {number}: the file does not begin with an export header",
                               field="type")
        if isinstance(line, transfer.ExportEntry):
            e = line.entry.chain_entry()
            if e.tenant_id != self.report.tenant_id:
                raise InvalidInput(f"line {number}: entry of tenant {e.tenant_id!r} in an "
                                   f"export of {self.report.tenant_id!r}", field="tenant_id")
            if not hash_matches(e):
                raise InvalidInput(f"line {number}: entry {e.seq} of trace {e.trace_id}: hash "
                                   "does not match its content", field="hash")
            if self.pending and (self.pending[-1].trace_id != e.trace_id
                                 or len(self.pending) >= IMPORT_BATCH):
                self.flush()
            self.pending.append(e)
        elif isinstance(line, transfer.ExportTombstone):
            self.flush()
            self.restore(line.tombstone, number)
        elif isinstance(line, transfer.ExportRemovedEntry):
            self.flush()
            leaf = line.leaf.leaf()
            if leaf.tenant_id != self.report.tenant_id:
                raise InvalidInput(f"line {number}: record of tenant {leaf.tenant_id!r} in an "
                                   f"export of {self.report.tenant_id!r}", field="tenant_id")
            self.removed.setdefault(leaf.trace_id, []).append(leaf)
            self.report.removed_entries += 1
        else:
            self.flush()

    def restore(self, body: TombstoneBody, number: int) -> None:
        """Restore a tombstone with the records of the entries it removed (read before it)."""
        leaf = body.leaf()
        if leaf.tenant_id != self.report.tenant_id or not leaf.hash_matches():
            raise InvalidInput(f"line {number}: tombstone of trace {leaf.trace_id}: its hash "
                               "does not match its fields (or another tenant's)", field="hash")
        removed = sorted(self.removed.pop(leaf.trace_id, []), key=lambda x: x.seq)
        if len(removed) != leaf.entry_count or (
                removed and removed[-1].entry_hash != leaf.final_hash):
            raise ImportFailed(f"line {number}: tombstone of trace {leaf.trace_id} covers "
                               f"{leaf.entry_count} entries ending at {leaf.final_hash[:12]}…, "
                               f"the file holds {len(removed)} removed entries")
        stone = Tombstone(leaf.tenant_id, leaf.trace_id, leaf.session_id, leaf.entry_count,
                          leaf.final_hash, leaf.removed_at, leaf.tombstone_hash)
        if log_store(self.store).restore_tombstone(leaf.tenant_id, removed, stone):
            self.report.tombstones_restored += 1
        else:
            self.report.tombstones_already_present += 1

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        tenant, trace = self.report.tenant_id, batch[0].trace_id
        stored_count, head = self._head(trace)
        present = [e for e in batch if e.seq < stored_count]
        if present:
            stored = self.store.entries_at(tenant, [(trace, e.seq) for e in present])
            for e in present:
                if (s := stored.get((trace, e.seq))) is None or s.hash != e.hash:
                    raise ImportFailed(f"trace {trace} already holds a different entry {e.seq}")
        next_seq = stored_count
        for e in batch:  # the chain must continue from what the target holds
            if e.seq < stored_count:
                continue
            if e.seq != next_seq or e.prev_hash != head:
                raise ImportFailed(f"entry {e.seq} of trace {trace} does not continue the "
                                   f"chain the target holds ({next_seq} entries)")
            next_seq, head = e.seq + 1, e.hash
        todo = batch[len(present):]
        if todo:
            try:
                sealed = self.store.append(tenant, trace, [(e.kind, dict(e.record))
                                                           for e in todo],
                                           expected_seq=todo[0].seq)
            except ChainConflict as exc:
                raise ImportFailed(f"trace {trace}: {exc}") from None
            for want, got in zip(todo, sealed, strict=True):
                if want.hash != got.hash:
                    raise ImportFailed(f"entry {want.seq} of trace {trace} was stored with "
                                       f"hash {got.hash}, not {want.hash}")
        self.heads[trace] = (next_seq, head)
        self.report.entries_stored += len(todo)
        self.report.entries_already_present += len(present)
        self.report.traces.add(trace)
        if self.progress is not None:
            self.progress(len(batch))

    def _head(self, trace: str) -> tuple[int, str]:
        if trace not in self.heads:
            row = self.store.get_traces(self.report.tenant_id, [trace]).get(trace)
            self.heads[trace] = (0, GENESIS_PREV_HASH) if row is None else (
                row.entry_count, row.head_hash)
        return self.heads[trace]


def import_lines(service: TraceService, raw: Iterable[bytes],
                 progress: Progress | None = None) -> ImportReport:
    """Import an export file's lines (bytes, one JSON object each) into the service's store."""
    importer = _Importer(service.store, progress)
    ended = False
    for number, line in parse_lines(raw):
        if ended:
            raise InvalidInput(f"line {number}: lines after the end line", field="type")
        importer.take(line, number)
        ended = isinstance(line, transfer.ExportEnd)
    importer.flush()
    if importer.removed:
        raise ImportFailed(f"removed entries of trace {next(iter(importer.removed))} have no "
                           "tombstone in the file")
    if not ended:
        raise InvalidInput("the file has no end line: it was cut short (what it held before "
                           "the cut was imported; import the whole file again to finish)",
                           field="end")
    return importer.report

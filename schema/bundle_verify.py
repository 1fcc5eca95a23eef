"""The offline audit-bundle verifier: no server, no store, one pass over the file.

:func:`verify_bundle` reads a bundle (:mod:`.bundle`, docs/audit-bundle.md) line by line,
keeping one trace's entries at a time, and returns a :class:`BundleReport` that lists every
problem with a stable ``code`` and where it is (line, trace, seq, leaf index):

=========================== =============================================================
``malformed``               a line is not JSON or not the shape the format allows
``bad_key_id``              a key line's ``key_id`` is not derived from its public key
``unknown_key_id``          no signature on the checkpoint is by a known (or trusted) key
``bad_checkpoint_signature`` the checkpoint's signature by a known key does not verify
``wrong_tenant``            the checkpoint or an item belongs to another tenant
``out_of_scope``            an item outside the bundle's trace or session
``content_changed``,        the trace's hash chain is broken at a seq
``link_broken``,            (:func:`~.chain.verify_entries`'s reason, first break per trace)
``entry_missing``,
``entry_inserted``,
``reordered``, ``renumbered``, ``wrong_trace``, ``unsupported_version``
``entry_after_completion``  an entry follows the trace's ``trace_completed`` entry
``session_mismatch``        an entry's session is not the one its trace started in
``bad_inclusion_proof``     leaf ``i`` is not in the signed tree (changed entry or proof)
``duplicate_leaf``          two items claim one leaf index
``leaf_order``              a trace's entries are not logged in seq order
``bad_tombstone_hash``      a tombstone's hash is not the hash of its fields
``tombstone_mismatch``      a tombstone's count or final hash disagrees with the chain
``missing_trace``           a trace bundle holds neither the trace nor its tombstone
``missing_leaf``            a tenant bundle lacks leaves of the signed log (deleted records)
``entry_missing``           also: a removed entry's log record that no tombstone covers
=========================== =============================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import ValidationError

from .bundle import (
    BUNDLE_LINE,
    CheckpointLine,
    EntryLine,
    HeaderLine,
    KeyLine,
    RemovedEntryLine,
    TombstoneLine,
)
from .chain import ChainEntry, verify_entries
from .checkpoint import (
    BadSignature,
    Checkpoint,
    CheckpointError,
    CheckpointKey,
    MalformedCheckpoint,
    UnknownKey,
    open_checkpoint,
    split_note,
    unb64,
)
from .merkle import ProofError, verify_inclusion
from .merkle_leaf import EntryLeaf


@dataclass(frozen=True, slots=True)
class BundleProblem:
    """One thing that fails, named by code and place."""

    code: str
    message: str
    line: int | None = None
    trace_id: str | None = None
    seq: int | None = None
    leaf_index: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """What the bundle shows of one trace."""

    trace_id: str
    session_id: str | None
    entries: int
    head_hash: str | None
    completed: bool
    tombstoned: bool


@dataclass
class BundleReport:
    """The verdict on a bundle: ``valid`` when no problem was found."""

    tenant_id: str | None = None
    scope: str | None = None
    scope_id: str | None = None
    checkpoint: Checkpoint | None = None
    key_id: str | None = None
    key_trusted: bool = False
    entries_checked: int = 0
    tombstones_checked: int = 0
    traces: list[TraceSummary] = field(default_factory=list)
    problems: list[BundleProblem] = field(default_factory=list)
    problems_omitted: int = 0

    @property
    def valid(self) -> bool:
        return not self.problems and not self.problems_omitted

    def text(self) -> str:
        """A human-readable report, one problem a line."""
        cp = self.checkpoint
        head = (f"bundle of {self.scope} {self.scope_id or ''} in tenant {self.tenant_id}: "
                f"{'VALID' if self.valid else 'INVALID'}").replace("  ", " ")
        lines = [head]
        if cp is not None:
            trust = "a trusted key" if self.key_trusted else "a key the bundle carries"
            lines.append(f"checkpoint {cp.origin} size {cp.size} at {cp.timestamp}, signed "
                         f"by {self.key_id or 'no known key'} ({trust})")
        lines.append(f"{self.entries_checked} entries of {len(self.traces)} traces, "
                     f"{self.tombstones_checked} tombstones checked")
        lines += [f"  {p}" for p in self.problems]
        if self.problems_omitted:
            lines.append(f"  ... and {self.problems_omitted} more problems")
        return "\n".join(lines)


def _code(reason: str) -> str:
    return reason.split(":", 1)[0].replace(" ", "_")


def _validation_message(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "line"
    return f"{loc}: {err['msg']}"


class _Verifier:
    def __init__(self, trusted: Sequence[CheckpointKey] | None, max_problems: int) -> None:
        self.report = BundleReport()
        self.trusted = trusted
        self.max_problems = max_problems
        self.keys: list[CheckpointKey] = []
        self.header: HeaderLine | None = None
        self.checkpoint: Checkpoint | None = None
        self.leaves_seen = bytearray()
        self.group: list[tuple[int, EntryLine]] = []
        self.done_traces: set[str] = set()
        self.tombstones: dict[str, tuple[int, TombstoneLine]] = {}
        self.chains: dict[str, tuple[int, str | None]] = {}  # trace -> (count, head)
        self.removed: dict[str, list[tuple[int, RemovedEntryLine]]] = {}

    def problem(self, code: str, message: str, line: int | None = None, *,
                trace_id: str | None = None, seq: int | None = None,
                leaf_index: int | None = None) -> None:
        if len(self.report.problems) >= self.max_problems:
            self.report.problems_omitted += 1
            return
        self.report.problems.append(BundleProblem(code, message, line, trace_id, seq,
                                                  leaf_index))

    def feed(self, number: int, raw: bytes) -> bool:
        """Check one line; False when the rest of the file cannot be checked."""
        try:
            line = BUNDLE_LINE.validate_json(raw)
        except ValidationError as exc:
            self.problem("malformed", _validation_message(exc), number)
            return self.header is not None
        if self.header is None:
            if not isinstance(line, HeaderLine):
                self.problem("malformed", "the first line must be the bundle header", number)
                return False
            self.header = line
            r = self.report
            r.tenant_id, r.scope, r.scope_id = line.tenant_id, line.scope, line.scope_id
            return True
        if isinstance(line, KeyLine):
            return self.key(number, line)
        if isinstance(line, CheckpointLine):
            return self.open_checkpoint(number, line)
        if self.checkpoint is None:
            self.problem("malformed", "entries and tombstones must follow the checkpoint",
                         number)
            return False
        if isinstance(line, EntryLine):
            self.entry(number, line)
        elif isinstance(line, TombstoneLine):
            self.tombstone(number, line)
        elif isinstance(line, RemovedEntryLine):
            self.removed_entry(number, line)
        else:
            self.problem("malformed", "a second bundle header", number)
        return True

    def key(self, number: int, line: KeyLine) -> bool:
        if self.checkpoint is not None:
            self.problem("malformed", "key lines must come before the checkpoint", number)
        try:
            key = CheckpointKey(unb64(line.public_key, "public_key"))
        except ValueError as exc:
            self.problem("malformed", f"public_key: {exc}", number)
            return True
        if key.key_id != line.key_id:
            self.problem("bad_key_id", f"key_id {line.key_id} is not derived from the "
                         f"public key (that is {key.key_id})", number)
        self.keys.append(key)
        return True

    def open_checkpoint(self, number: int, line: CheckpointLine) -> bool:
        assert self.header is not None
        if self.checkpoint is not None:
            self.problem("malformed", "a second checkpoint", number)
            return True
        keys = self.trusted if self.trusted is not None else self.keys
        try:
            signed = open_checkpoint(line.note, keys)
            self.checkpoint = signed.checkpoint
            self.report.key_id = signed.key.key_id
            self.report.key_trusted = self.trusted is not None
        except MalformedCheckpoint as exc:
            self.problem("malformed", f"checkpoint: {exc}", number)
            return False
        except (UnknownKey, BadSignature) as exc:
            code = ("unknown_key_id" if isinstance(exc, UnknownKey)
                    else "bad_checkpoint_signature")
            self.problem(code, str(exc), number)
            self.checkpoint = Checkpoint.from_text(split_note(line.note)[0])
        except CheckpointError as exc:  # pragma: no cover - every subclass is above
            self.problem("malformed", f"checkpoint: {exc}", number)
            return False
        self.report.checkpoint = self.checkpoint
        if not self.checkpoint.origin.endswith("/" + self.header.tenant_id):
            self.problem("wrong_tenant", f"checkpoint origin {self.checkpoint.origin} is not "
                         f"the log of tenant {self.header.tenant_id}", number)
        self.leaves_seen = bytearray((self.checkpoint.size + 7) // 8)
        return True

    def leaf(self, number: int, index: int, leaf_hash: bytes, proof: list[str],
             trace_id: str, seq: int | None, what: str) -> None:
        cp = self.checkpoint
        assert cp is not None
        if index < cp.size:
            byte, bit = divmod(index, 8)
            if self.leaves_seen[byte] >> bit & 1:
                self.problem("duplicate_leaf", f"leaf {index} is claimed twice ({what})",
                             number, trace_id=trace_id, seq=seq, leaf_index=index)
            self.leaves_seen[byte] |= 1 << bit
        try:
            verify_inclusion(index, cp.size, leaf_hash, [bytes.fromhex(p) for p in proof],
                             cp.root)
        except ProofError as exc:
            self.problem("bad_inclusion_proof", f"leaf {index} ({what}): {exc}", number,
                         trace_id=trace_id, seq=seq, leaf_index=index)

    def in_scope(self, number: int, tenant_id: str, session_id: str, trace_id: str,
                 seq: int | None) -> None:
        h = self.header
        assert h is not None
        if tenant_id != h.tenant_id:
            self.problem("wrong_tenant", f"trace {trace_id} belongs to tenant {tenant_id}, "
                         f"the bundle to {h.tenant_id}", number, trace_id=trace_id, seq=seq)
        elif ((h.scope == "trace" and trace_id != h.scope_id)
              or (h.scope == "session" and session_id != h.scope_id)):
            self.problem("out_of_scope", f"trace {trace_id} of session {session_id} is not "
                         f"in {h.scope} {h.scope_id}", number, trace_id=trace_id, seq=seq)

    def entry(self, number: int, line: EntryLine) -> None:
        e = line.entry
        if self.group and self.group[-1][1].entry.trace_id != e.trace_id:
            self.close_trace()
        if not self.group and e.trace_id in self.done_traces:
            self.problem("malformed", f"the entries of trace {e.trace_id} are not "
                         "consecutive", number, trace_id=e.trace_id, seq=e.seq)
        self.group.append((number, line))
        self.report.entries_checked += 1
        self.in_scope(number, e.tenant_id, line.session_id, e.trace_id, e.seq)
        leaf = EntryLeaf(e.tenant_id, line.session_id, e.trace_id, e.seq, e.kind, e.hash)
        self.leaf(number, line.leaf_index, leaf.hash(), line.proof, e.trace_id, e.seq,
                  f"trace {e.trace_id} seq {e.seq}")

    def close_trace(self) -> None:
        group, self.group = self.group, []
        if not group:
            return
        first_line, first = group[0]
        trace_id, tenant_id = first.entry.trace_id, first.entry.tenant_id
        self.done_traces.add(trace_id)
        entries: list[ChainEntry] = [line.entry.chain_entry() for _, line in group]
        result = verify_entries(entries, tenant_id=tenant_id, trace_id=trace_id)
        if not result.valid:
            seq = result.first_broken_seq
            at = next((n for n, line in group if line.entry.seq == seq), first_line)
            self.problem(_code(result.reason or "content changed"),
                         f"trace {trace_id} seq {seq}: {result.reason}", at,
                         trace_id=trace_id, seq=seq)
        started = first.entry.record.get("session_id") if first.entry.seq == 0 else None
        completed_at: int | None = None
        prev_index = -1
        for number, line in group:
            e = line.entry
            if completed_at is not None:
                self.problem("entry_after_completion", f"trace {trace_id} seq {e.seq} "
                             f"follows its completion at seq {completed_at}", number,
                             trace_id=trace_id, seq=e.seq)
                completed_at = None  # one report per trace
            if e.kind == "trace_completed":
                completed_at = e.seq
            if started is not None and line.session_id != started:
                self.problem("session_mismatch", f"trace {trace_id} seq {e.seq} is filed "
                             f"under session {line.session_id}, the trace started in "
                             f"{started}", number, trace_id=trace_id, seq=e.seq)
            if line.leaf_index <= prev_index:
                self.problem("leaf_order", f"trace {trace_id} seq {e.seq} is leaf "
                             f"{line.leaf_index}, not after the previous entry's leaf "
                             f"{prev_index}", number, trace_id=trace_id, seq=e.seq,
                             leaf_index=line.leaf_index)
            prev_index = line.leaf_index
        last = group[-1][1].entry
        self.chains[trace_id] = (len(group), last.hash)
        self.report.traces.append(TraceSummary(
            trace_id, started if isinstance(started, str) else first.session_id, len(group),
            last.hash, any(line.entry.kind == "trace_completed" for _, line in group),
            trace_id in self.tombstones))

    def tombstone(self, number: int, line: TombstoneLine) -> None:
        self.close_trace()
        t = line.tombstone
        self.report.tombstones_checked += 1
        self.in_scope(number, t.tenant_id, t.session_id, t.trace_id, None)
        leaf = t.leaf()
        if not leaf.hash_matches():
            self.problem("bad_tombstone_hash", f"tombstone of trace {t.trace_id}: its hash "
                         "is not the hash of its fields", number, trace_id=t.trace_id)
        self.leaf(number, line.leaf_index, leaf.hash(), line.proof, t.trace_id, None,
                  f"tombstone of trace {t.trace_id}")
        self.tombstones[t.trace_id] = (number, line)

    def removed_entry(self, number: int, line: RemovedEntryLine) -> None:
        self.close_trace()
        r = line.leaf
        self.in_scope(number, r.tenant_id, r.session_id, r.trace_id, r.seq)
        self.leaf(number, line.leaf_index, r.leaf().hash(), line.proof, r.trace_id, r.seq,
                  f"removed entry of trace {r.trace_id} seq {r.seq}")
        self.removed.setdefault(r.trace_id, []).append((number, line))

    def check_removed(self) -> None:
        """Each removed entry's trace has a tombstone for exactly the entries logged."""
        for trace_id, items in self.removed.items():
            number, first = min(items, key=lambda x: x[1].leaf.seq)
            if trace_id not in self.tombstones:
                self.problem("entry_missing", f"trace {trace_id} seq {first.leaf.seq} is in "
                             f"the log (leaf {first.leaf_index}) but neither it nor a "
                             "tombstone is in the bundle", number, trace_id=trace_id,
                             seq=first.leaf.seq, leaf_index=first.leaf_index)
                continue
            last = max(items, key=lambda x: x[1].leaf.seq)[1].leaf
            self.chains.setdefault(trace_id, (len(items), last.entry_hash))

    def check_complete(self) -> None:
        """A tenant bundle claims every leaf of the signed tree; name each gap."""
        cp = self.checkpoint
        if cp is None or self.header is None or self.header.scope != "tenant":
            return
        seen, index = self.leaves_seen, 0
        while index < cp.size:
            if seen[index >> 3] >> (index & 7) & 1:
                index += 1
                continue
            start = index
            while index < cp.size and not seen[index >> 3] >> (index & 7) & 1:
                index += 1
            span = (f"leaf {start} of the signed log is" if index == start + 1
                    else f"leaves {start}-{index - 1} of the signed log are")
            self.problem("missing_leaf", f"{span} not in the bundle: a record was deleted",
                         leaf_index=start)

    def finish(self) -> BundleReport:
        self.close_trace()
        self.report.traces = [replace(t, tombstoned=t.trace_id in self.tombstones)
                              for t in self.report.traces]
        self.check_removed()
        self.check_complete()
        for trace_id, (number, line) in self.tombstones.items():
            t = line.tombstone
            chain = self.chains.get(trace_id)
            if chain is not None and chain != (t.entry_count, t.final_hash):
                self.problem("tombstone_mismatch", f"tombstone of trace {trace_id} records "
                             f"{t.entry_count} entries ending {t.final_hash[:12]}, the "
                             f"bundle holds {chain[0]} ending {(chain[1] or '')[:12]}",
                             number, trace_id=trace_id)
        h = self.header
        if (h is not None and h.scope == "trace" and h.scope_id is not None
                and h.scope_id not in self.chains and h.scope_id not in self.tombstones
                and self.checkpoint is not None):
            self.problem("missing_trace", f"the bundle holds neither trace {h.scope_id} nor "
                         "its tombstone", trace_id=h.scope_id)
        if h is not None and self.checkpoint is None and not self.report.problems:
            self.problem("malformed", "the bundle has no checkpoint")
        return self.report


def verify_bundle_lines(lines: Iterable[bytes], *,
                        trusted_keys: Sequence[CheckpointKey] | None = None,
                        max_problems: int = 1000) -> BundleReport:
    """Verify a bundle given as its lines (bytes, newline optional)."""
    verifier = _Verifier(trusted_keys, max_problems)
    seen = False
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        seen = True
        if not verifier.feed(number, raw):
            return verifier.report
    if not seen:
        verifier.problem("malformed", "the bundle is empty")
        return verifier.report
    return verifier.finish()


def verify_bundle(path: str | Path, *, trusted_keys: Sequence[CheckpointKey] | None = None,
                  max_problems: int = 1000) -> BundleReport:
    """Verify an audit bundle file offline and report every problem found.

    With ``trusted_keys`` the checkpoint must be signed by one of them; without, by a key
    the bundle carries (the report says so: compare that key id with one you trust).
    """
    with open(path, "rb") as f:
        return verify_bundle_lines(f, trusted_keys=trusted_keys, max_problems=max_problems)

"""Tenant-scoped keys of the Dgraph backend, and the migration of data written without them.

Ids are per tenant, so every lookup and every uniqueness check goes through a key that
starts with the tenant: ``trace.key`` and ``tomb.key`` ("<tenant>/<trace id>"),
``node.key`` ("<tenant>/<record or alternative id>") and ``entry.key``
("<tenant>/<trace id>:<seq>"). Ids never hold ``/`` (:data:`~tracegraph.schema.ids.ID_PATTERN`),
so a key names one tenant and one id. These predicates carry ``@upsert`` (the bare ids no
longer do): two writers of one id in one tenant conflict and one retries, while two tenants
using the same id never touch the same index key, so neither an answer nor a retry tells
one tenant anything of another's ids.

Data written before the keys (bare ``entry.key`` "<trace id>:<seq>", no ``trace.key``,
``node.key`` or ``tomb.key``) is keyed once, when a store first opens the cluster
(:func:`migrate`), trace by trace: a trace, its entries and their alternatives get their keys
in one transaction, so an interrupted migration resumes where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pydgraph

#: Between the tenant and the id of a key: never part of an id.
SEP = "/"
#: Traces (and tombstones) keyed per migration transaction.
MIGRATION_BATCH = 50

#: Read-only query with variables, answered as JSON (the store's ``_read``).
Read = Callable[[str, Mapping[str, str | Sequence[str]]], dict[str, Any]]


def key(tenant_id: str, id_: str) -> str:
    """The tenant-scoped key of a trace, record, alternative or tombstone id.

    >>> key("acme", "trace-1")
    'acme/trace-1'
    """
    return f"{tenant_id}{SEP}{id_}"


def keys(tenant_id: str, ids: Iterable[str]) -> list[str]:
    """:func:`key` of each id, in order."""
    return [f"{tenant_id}{SEP}{i}" for i in ids]


def entry_key(tenant_id: str, trace_id: str, seq: int) -> str:
    """The key of a chain entry: its tenant, trace and seq.

    >>> entry_key("acme", "t1", 3)
    'acme/t1:3'
    """
    return f"{tenant_id}{SEP}{trace_id}:{seq}"


def entry_ref(stored_key: str) -> tuple[str, int]:
    """(trace id, seq) of an ``entry.key`` (keyed, or bare as written before the keys).

    >>> entry_ref("acme/t1:3"), entry_ref("t1:3")
    (('t1', 3), ('t1', 3))
    """
    trace, _, seq = stored_key.rpartition(":")
    return trace.rpartition(SEP)[2], int(seq)


#: One batch of data written before the keys: traces and tombstones without a key, with what
#: their keys are made of.
LEGACY = """
query legacy($first: int) {
  t(func: has(trace.id), first: $first) @filter(NOT has(trace.key)) {
    uid
    trace.id
    trace.tenant
    e: ~entry.trace {
      uid
      entry.key
      node.id
      edge.considered { uid node.id }
    }
  }
  s(func: has(tomb.trace_id), first: $first) @filter(NOT has(tomb.key)) {
    uid
    tomb.trace_id
    tomb.tenant
  }
}
"""


def legacy_batch(read: Read) -> dict[str, Any]:
    """The next batch of unkeyed traces (``t``) and tombstones (``s``)."""
    return read(LEGACY, {"first": str(MIGRATION_BATCH)})


def _key_set(got: dict[str, Any]) -> list[dict[str, Any]]:
    """The keys a batch of legacy nodes gets (a JSON set mutation)."""
    out: list[dict[str, Any]] = []
    for t in got.get("t", []):
        tenant, trace_id = t["trace.tenant"], t["trace.id"]
        out.append({"uid": t["uid"], "trace.key": key(tenant, trace_id)})
        for e in t.get("e", []):
            fields: dict[str, Any] = {"uid": e["uid"]}
            stored = e.get("entry.key")
            if stored is not None and SEP not in stored:
                _, seq = entry_ref(stored)
                fields["entry.key"] = entry_key(tenant, trace_id, seq)
            if "node.id" in e:
                fields["node.key"] = key(tenant, e["node.id"])
            out.append(fields)
            alts = e.get("edge.considered") or []
            out.extend({"uid": a["uid"], "node.key": key(tenant, a["node.id"])}
                       for a in ([alts] if isinstance(alts, dict) else alts) if "node.id" in a)
    out.extend({"uid": s["uid"], "tomb.key": key(s["tomb.tenant"], s["tomb.trace_id"])}
               for s in got.get("s", []))
    return out


def migrate(client: pydgraph.DgraphClient, read: Read, timeout: float) -> int:
    """Key every trace, entry, record, alternative and tombstone written before the keys;
    the number of traces and tombstones keyed (0 when there were none: one query)."""
    done = 0
    while True:
        got = legacy_batch(read)
        if not got.get("t") and not got.get("s"):
            return done
        try:
            client.txn().mutate(set_obj=_key_set(got), commit_now=True, timeout=timeout)
        except pydgraph.errors.AbortedError:
            continue  # another process keyed some of them: read the batch again
        done += len(got.get("t", [])) + len(got.get("s", []))

#!/usr/bin/env python3
"""Write the published hash-chain test vectors to ``tests/vectors/`` (or the folder given).

Deterministic: fixed ids and timestamps, records built by ``tracegraph.schema.records`` from
the same input models the service uses, sealed with ``tracegraph.schema.chain.seal_many``.
Running it twice writes identical bytes; ``tests/schema/test_vectors.py`` checks that the
files in the repository are exactly what this script writes.

    .venv/bin/python scripts/make_vectors.py [OUT_DIR]

Each file holds ``description``, ``tenant_id``, ``trace_id``, ``entries`` (every hashed
object field, ``hash``, and ``canonical``: the exact RFC 8785 text that was hashed, after the
domain byte 0x00) and ``expected`` ({valid, first_broken_seq, reason_prefix}) of
``verify_entries(entries, tenant_id=..., trace_id=...)``. docs/hash-chain.md explains the rule.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracegraph.schema import records
from tracegraph.schema.canonical import canonical_json
from tracegraph.schema.chain import (
    FORMAT_VERSION,
    GENESIS_PREV_HASH,
    ChainEntry,
    entry_hash,
    seal,
    seal_many,
)
from tracegraph.schema.enums import EntryKind
from tracegraph.schema.inputs import (
    ApiCallInput,
    CompleteTraceInput,
    HumanInputInput,
    StartTraceInput,
    StepInput,
    utc_iso,
)

TENANT = "tenant-vectors"
TRACE = "trace-0001"
T0 = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0.timestamp() + seconds, tz=UTC)


def stamp(seconds: float) -> str:
    return utc_iso(at(seconds))


def chain_items() -> list[tuple[str, dict[str, Any]]]:
    """The (kind, record) items of the valid trace, in order."""
    items: list[tuple[str, dict[str, Any]]] = []
    step_index = 0

    def step(inp: StepInput, step_id: str) -> None:
        nonlocal step_index
        record = {**records.step_record(inp, step_id=step_id), "step_index": step_index}
        step_index += 1
        items.append((EntryKind.STEP.value, record))

    start = StartTraceInput(
        trace_id=TRACE, session_id="session-0001", agent_id="agent.pricing",
        goal="Décider le prix — 価格を決める 🚀", actor_urn="urn:agent:pricing:v2",
        metadata={"env": "test", "retries": 3, "ratio": 0.75, "tags": ["a", "β"]},
        created_at=at(0),
    )
    items.append((EntryKind.TRACE_STARTED.value,
                  records.trace_started_record(start, session_id="session-0001")))
    step(StepInput(
        step_type="Observation",
        content=('User asks: "what should it cost?" \\ tab\there, bell\x07, '
                 'line sep\u2028, é 漢字 🚀'),
        input_data={
            "ints": [0, -1, 9007199254740991, -9007199254740991],
            "floats": [0.1, 2.5, 1e-7, 4.2e-6, 1e21, 123456789.125, -0.0, 3.0, 5e-324,
                       1.7976931348623157e308],
            "order": {"a": 1, "Z": 2, "é": 3, "\uff01": 4, "\U0001f600": 5, "": 6, "aa": 7},
            "nested": {"deep": [[{"x": None, "y": True, "z": False}]]},
            "text": "\x00\x1f\x7f</script>",
        },
        created_at=at(1),
    ), "step-0001")
    step(StepInput(
        step_type="toolcall",  # ledger types match case-insensitively: stored as ToolCall
        content="Look up competitor prices.",
        input_data={"tool": "price_lookup", "args": {"sku": "A-1", "region": "EU"}},
        alternatives_considered=["ask the user", "use last week's price", "price_lookup"],
        selected_alternative="price_lookup", confidence=0.87, duration_ms=1234.5,
        model_id="claude-sonnet-4", input_tokens=812, output_tokens=64, thinking_tokens=256,
        depends_on=["step-0001"], metadata={"attempt": 1}, created_at=at(2),
    ), "step-0002")
    items.append((EntryKind.API_CALL.value, records.api_call_record(ApiCallInput(
        step_id="step-0002", api_type="tool", endpoint="https://prices.example/v1/lookup",
        method="POST", status_code=200, latency_ms=812.25, request_tokens=120,
        response_tokens=380, cost_usd=0.00042, created_at=at(3),
    ), call_id="call-0001")))
    step(StepInput(
        step_type="ToolResult", content="Competitors: 19.99, 21.50, 18.00.",
        output_data={"prices": [19.99, 21.5, 18.0], "currency": "EUR", "count": 3},
        duration_ms=2.0, created_at=at(4),
    ), "step-0003")
    human = records.human_input_record(HumanInputInput(
        step_id="step-0003", question="Go below 19 EUR?", answer="No: keep ≥ 19.",
        answered_by="alice@example.com", answered_at=at(5.5),
    ), input_id="human-0001")
    items.append((EntryKind.HUMAN_INPUT.value, {**human, "created_at": stamp(6)}))
    step(StepInput(
        step_type="INTENT_ANALYSIS",  # a custom type, kept as given
        content="The user wants a competitive, not the lowest, price.", confidence=1,
        created_at=at(7),
    ), "step-0004")
    step(StepInput(
        step_type="Decision", content="Price at 19.49 EUR.",
        alternatives_considered=["18.99", "19.49", "19.99"], selected_alternative="19.49",
        confidence=0.64, model_id="claude-sonnet-4", input_tokens=1024, output_tokens=128,
        depends_on=["step-0002", "step-0003"], created_at=at(8),
    ), "step-0005")
    step(StepInput(
        step_type="FinalAnswer", content="19.49 EUR", output_data={"price": 19.49},
        created_at=at(9),
    ), "step-0006")
    sealed = seal_many(TENANT, TRACE, 0, GENESIS_PREV_HASH, items)
    totals, models, path = records.rollup(sealed)
    done = records.completion_record(
        CompleteTraceInput(outcome="success", final_answer="19.49 EUR", confidence=0.9),
        status="completed", totals=totals, models=models, path=path,
    )
    items.append((EntryKind.TRACE_COMPLETED.value, {**done, "completed_at": stamp(10)}))
    return items


def entry_json(e: ChainEntry) -> dict[str, Any]:
    return {**e.to_json(), "canonical": canonical_json(e.hashed_object()).decode("utf-8")}


def resealed(e: ChainEntry, **changes: Any) -> ChainEntry:
    """``e`` with fields changed and its hash recomputed (a forger who re-hashes)."""
    changed = dataclasses.replace(e, **changes)
    return dataclasses.replace(changed, hash=entry_hash(changed.hashed_object()))


def vector(description: str, entries: list[ChainEntry], *, valid: bool,
           first_broken_seq: int | None = None, reason_prefix: str | None = None
           ) -> dict[str, Any]:
    return {
        "description": description,
        "format": {"version": FORMAT_VERSION, "domain_byte": "00",
                   "genesis_prev_hash": GENESIS_PREV_HASH, "rules": "docs/hash-chain.md"},
        "tenant_id": TENANT,
        "trace_id": TRACE,
        "entries": [entry_json(e) for e in entries],
        "expected": {"valid": valid, "first_broken_seq": first_broken_seq,
                     "reason_prefix": reason_prefix},
    }


def build() -> dict[str, dict[str, Any]]:
    chain = seal_many(TENANT, TRACE, 0, GENESIS_PREV_HASH, chain_items())
    single = [seal(TENANT, TRACE, 0, GENESIS_PREV_HASH, *chain_items()[0])]

    changed = list(chain)
    rec = {**chain[4].record, "output_data": {**chain[4].record["output_data"], "count": 4}}
    changed[4] = dataclasses.replace(chain[4], record=rec)

    deleted = chain[:3] + chain[4:]

    forged = seal(TENANT, TRACE, 3, chain[2].hash, EntryKind.STEP.value, {
        "step_id": "step-forged", "step_index": 2, "step_type": "Decision",
        "content": "Approve a 90% discount.", "created_at": stamp(2.5),
    })
    inserted = [*chain[:3], forged, *chain[3:]]

    reordered = list(chain)
    reordered[4], reordered[5] = chain[5], chain[4]

    wrong_prev = list(chain)
    wrong_prev[5] = resealed(chain[5], prev_hash=chain[3].hash)

    wrong_version = list(chain)
    wrong_version[2] = resealed(chain[2], version=FORMAT_VERSION + 1)

    n = len(chain)
    return {
        "valid_chain.json": vector(
            f"A complete trace of {n} entries: start, steps (unicode text, JSON payloads, "
            "floats of every magnitude, UTF-16 key order, a custom step type), an API call, a "
            "human input and the completion with rollups. Verifies.", chain, valid=True),
        "valid_single.json": vector(
            "A chain of one entry: a trace start, prev_hash is the genesis value (64 zeros).",
            single, valid=True),
        "changed_field.json": vector(
            "valid_chain with record.output_data.count of entry 4 changed from 3 to 4; the "
            "stored hash was kept.", changed, valid=False, first_broken_seq=4,
            reason_prefix="content changed"),
        "deleted_entry.json": vector(
            "valid_chain with entry 3 (the API call) removed; later entries keep their seq.",
            deleted, valid=False, first_broken_seq=3, reason_prefix="entry missing"),
        "inserted_entry.json": vector(
            "valid_chain with a forged, correctly hashed step inserted before entry 3: it "
            "claims seq 3 and links to entry 2, so two entries claim seq 3.", inserted,
            valid=False, first_broken_seq=3, reason_prefix="entry inserted"),
        "reordered_entries.json": vector(
            "valid_chain with entries 4 and 5 stored in swapped order (both unchanged).",
            reordered, valid=False, first_broken_seq=4, reason_prefix="reordered"),
        "wrong_prev_hash.json": vector(
            "valid_chain with entry 5's prev_hash replaced by entry 3's hash and entry 5 "
            "re-hashed: its own hash is right, its link is not.", wrong_prev, valid=False,
            first_broken_seq=5, reason_prefix="link broken"),
        "wrong_version.json": vector(
            f"valid_chain with entry 2 claiming format version {FORMAT_VERSION + 1} (and "
            "re-hashed): a verifier must refuse versions it does not know.", wrong_version,
            valid=False, first_broken_seq=2, reason_prefix="unsupported version"),
    }


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    default = Path(__file__).resolve().parent.parent / "tests" / "vectors"
    out = Path(argv[1]) if len(argv) > 1 else default
    out.mkdir(parents=True, exist_ok=True)
    for name, data in build().items():
        (out / name).write_text(render(data), encoding="utf-8")
        print(f"wrote {out / name} ({len(data['entries'])} entries)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

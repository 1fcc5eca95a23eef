"""Run by tests/compiled/test_compiled.py, pure and compiled: prints what the compiled modules
compute on a fixed workload (records, sealed hashes, redaction), and which modules are
compiled. Both runs must print the same digests."""

from __future__ import annotations

import hashlib
import importlib
import random
import sys
import tempfile
from pathlib import Path

import orjson
from tracegraph.api.otlp import mapping
from tracegraph.api.otlp.decode import decode_protobuf
from tracegraph.api.otlp.ingest import OtlpIngestor
from tracegraph.api.service import TraceService
from tracegraph.api.service.audit import AuditService
from tracegraph.bench.otlp import requests_of, run_spans
from tracegraph.graph.embedded import EmbeddedStore
from tracegraph.schema.chain import GENESIS_PREV_HASH, seal_encoded
from tracegraph.schema.records import api_call_record, step_record
from tracegraph.schema.redaction import Redactor

#: Secrets whole, cut in two list items, behind names, and text around them.
SECRETS = [
    "sk-proj-" + "Ab3dE5gH7jK9mN1pQ3sT5vX7zB9dF1hJ3lN5pR7tV9xZ1bD3",
    "AKIA" + "IOSFODNN7EXAMPLE", "ghp_" + "1234567890abcdefghijklmnopqrstuvwxyzAB",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "password=hunter2-but-longer", "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
]


def digest(value: object) -> str:
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def main() -> None:
    modules = sys.argv[1:]
    print("compiled", sorted(m for m in modules
                             if str(importlib.import_module(m).__file__).endswith(".so")))
    spans = [s for r in range(2) for s in run_spans(random.Random(r), 3, 30, 10**18 + r)]
    bodies = requests_of(spans, 64)
    decoded = [s for b in bodies for s in decode_protobuf(b)]
    recs = []
    for s in decoded:
        if mapping.is_agent(s):
            continue
        step, call = mapping.step_and_call(s, depends_on="otel-a-b.step")
        recs.append(("step", step_record(step, step_id=str(step.step_id))))
        if call is not None:
            recs.append(("api_call", api_call_record(call, call_id=str(call.call_id))))
    print("records", len(recs), digest(recs))
    sealed = seal_encoded("tenant", "trace", 0, GENESIS_PREV_HASH, recs)
    print("sealed", digest([[e.hash, body.decode()] for e, body in sealed]))
    r = Redactor()
    texts = [*SECRETS, *(f"before {s} after" for s in SECRETS),
             *(s[:n] for s in SECRETS for n in (5, 12, 20))]
    cut = [[s[:k], s[k:]] for s in SECRETS for k in (4, 10, 17)]
    print("redaction", digest([r.text(t) for t in texts]),
          digest(r.json({"items": cut, "api_key": "abc", "nested": {"token": SECRETS[0],
                                                                     "note": texts}})),
          [r.holds_secret(t) for t in texts[:6]])
    with tempfile.TemporaryDirectory() as tmp:
        service = TraceService(EmbeddedStore(Path(tmp) / "data"))
        ingestor = OtlpIngestor(service)
        result = [ingestor.ingest("probe", decode_protobuf(b)) for b in bodies]
        print("ingest", sum(x.stored for x in result), sum(len(x.rejected) for x in result),
              AuditService(service).verify_tenant("probe").valid)
        service.close()


if __name__ == "__main__":
    main()

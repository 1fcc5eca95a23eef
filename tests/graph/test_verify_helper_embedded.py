"""A large verification shares its chains with the embedded store's helper process: the
verdicts are the ones the store reaches alone, every tampering on the helper's side is
still named, and the helper coming, going or dying changes nothing but the speed."""

from __future__ import annotations

import io
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from tracegraph.api.service import TraceService
from tracegraph.graph.embedded import EmbeddedStore, verify_helper
from tracegraph.graph.embedded.verify_process import serve
from tracegraph.graph.protocol import ChainHead
from tracegraph.schema.chain import entry_hash
from tracegraph.schema.inputs import StartTraceInput, StepInput

TENANT, OTHER = "acme", "globex"
SESSION = "sess-big"
#: chains of 201, 151, 101 and 51 entries: 504 in all, shared between the two processes
TRACES = {"big-a": 200, "big-b": 150, "big-c": 100, "big-d": 50}


def build(service: TraceService, tenant: str) -> None:
    for trace_id, steps in TRACES.items():
        service.start_trace(tenant, StartTraceInput(trace_id=f"{tenant}-{trace_id}",
                                                    session_id=SESSION, agent_id="a"))
        service.record_steps(tenant, f"{tenant}-{trace_id}", [
            StepInput(step_id=f"{tenant}-{trace_id}-{i}", step_type="Action",
                      content=f"step {i} " * 20) for i in range(steps)])


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("helper-template")
    store = EmbeddedStore(data_dir)
    for tenant in (TENANT, OTHER):
        build(TraceService(store), tenant)
    store.close()
    return data_dir / "tracegraph.sqlite3"


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[EmbeddedStore]:
    (tmp_path / template.name).write_bytes(template.read_bytes())
    s = EmbeddedStore(tmp_path)
    yield s
    s.close()


def ready(store: EmbeddedStore) -> EmbeddedStore:
    """The store with its helper started and ready."""
    heads = store.session_heads(TENANT, SESSION)
    assert verify_helper.share(heads)[1], "the session is large enough to share"
    store.chains_with_intact_bytes(TENANT, heads)  # starts the helper
    proc = store._helper._proc
    assert proc is not None
    assert store._helper._ready.wait(60), "the helper did not start"
    store._helper._rest_until = 0.0  # (a slow answer on a busy machine makes it rest)
    return store


def alone(store: EmbeddedStore) -> TraceService:
    """A service whose store never shares: the verdicts to match."""
    class Alone:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def chains_with_intact_bytes(self, tenant_id: str, heads: list[ChainHead]) -> list[str]:
            return verify_helper.chains_with_intact_bytes(store._conn(), tenant_id, heads)

    return TraceService(Alone())  # type: ignore[arg-type]


class Raw:
    def __init__(self, store: EmbeddedStore) -> None:
        self.db = sqlite3.connect(store.path, isolation_level=None)
        self.db.execute("DROP TRIGGER IF EXISTS entries_no_update")
        self.db.execute("DROP TRIGGER IF EXISTS entries_no_delete")

    def set(self, trace_id: str, seq: int, column: str, value: Any) -> None:
        query = {c: f"UPDATE entries SET {c} = ? WHERE trace_id = ? AND seq = ?"  # noqa: S608
                 for c in ("seq", "kind", "hash", "body")}[column]
        assert self.db.execute(query, (value, trace_id, seq)).rowcount == 1

    def body(self, trace_id: str, seq: int) -> dict[str, Any]:
        (body,) = self.db.execute("SELECT body FROM entries WHERE trace_id = ? AND seq = ?",
                                  (trace_id, seq)).fetchone()
        obj: dict[str, Any] = orjson.loads(body)
        return obj


def test_the_helper_takes_part_and_agrees(store: EmbeddedStore) -> None:
    ready(store)
    before = store._helper.answers
    service = TraceService(store)
    v = service.verify_session(TENANT, SESSION)
    assert store._helper.answers == before + 1 and store._helper.cpu_seconds > 0
    assert v == alone(store).verify_session(TENANT, SESSION)
    assert v.valid and v.entries_checked == sum(TRACES.values()) + len(TRACES)
    assert service.verify_session(OTHER, SESSION).valid


TAMPERINGS = [
    ("hash", lambda raw, t, s: "f" * 64),
    ("kind", lambda raw, t, s: "api_call"),
    ("seq", lambda raw, t, s: 10_000 if s < 50 else -1),  # moved to the other end
    ("body", lambda raw, t, s: orjson.dumps({**raw.body(t, s), "seq": s + 1})),
    ("body", lambda raw, t, s: orjson.dumps({**raw.body(t, s), "tenant_id": OTHER})),
]


@pytest.mark.parametrize("trace", list(TRACES))
@pytest.mark.parametrize(("column", "change"), TAMPERINGS)
@pytest.mark.parametrize("seq", [0, 37, 50])
def test_tampering_on_either_side_is_named_as_alone(
        store: EmbeddedStore, trace: str, column: str, change: Any, seq: int) -> None:
    ready(store)
    trace_id = f"{TENANT}-{trace}"
    raw = Raw(store)
    value = change(raw, trace_id, seq)
    raw.set(trace_id, seq, column, value)
    if column == "body":  # a forger who recomputes the hash too
        raw.set(trace_id, seq, "hash", entry_hash(orjson.loads(value)))
    before = store._helper.answers
    v = TraceService(store).verify_session(TENANT, SESSION)
    assert store._helper.answers == before + 1
    assert not v.valid and v.trace_id == trace_id
    assert v == alone(store).verify_session(TENANT, SESSION)


def test_a_helper_that_dies_changes_nothing(store: EmbeddedStore) -> None:
    ready(store)
    proc = store._helper._proc
    assert proc is not None
    proc.kill()
    proc.wait()
    service = TraceService(store)
    for _ in range(3):  # it fails, is started again, and verifies once ready
        assert service.verify_session(TENANT, SESSION).valid
    assert ready(store)._helper._proc is not proc
    before = store._helper.answers
    assert service.verify_session(TENANT, SESSION).valid
    assert store._helper.answers == before + 1


def test_threads_share_one_helper(store: EmbeddedStore) -> None:
    ready(store)
    service = TraceService(store)
    results: list[bool] = []

    def verify() -> None:
        for _ in range(5):
            results.append(service.verify_session(TENANT, SESSION).valid)

    threads = [threading.Thread(target=verify) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 20


def test_close_stops_the_helper_and_small_requests_start_none(store: EmbeddedStore) -> None:
    proc = ready(store)._helper._proc
    assert proc is not None
    store.close()
    assert proc.poll() is not None
    heads = store.session_heads(TENANT, SESSION)
    assert sorted(store.chains_with_intact_bytes(TENANT, heads[:1])) == [heads[0].trace_id]
    assert store._helper._proc is None  # one chain: nothing to share


def test_serve_answers_each_request_line(template: Path) -> None:
    heads = [[f"{TENANT}-{t}", n + 1, None] for t, n in TRACES.items()]
    db = sqlite3.connect(template)
    for h in heads:
        (h[2],) = db.execute("SELECT head_hash FROM traces WHERE trace_id = ?",
                             (h[0],)).fetchone()
    db.close()
    wrong = [[heads[0][0], heads[0][1], "0" * 64], [heads[1][0], heads[1][1] + 1, heads[1][2]]]
    requests = io.BytesIO(b"".join(orjson.dumps(r) + b"\n" for r in [
        [TENANT, heads], [TENANT, wrong], [OTHER, heads], [TENANT, []]]))
    answers = io.BytesIO()
    serve(str(template), requests, answers)
    ready_line, *lines = answers.getvalue().splitlines(keepends=True)
    assert ready_line == verify_helper.READY
    got = [orjson.loads(line)[1] for line in lines]
    assert got == [[h[0] for h in heads], [], [], []]

"""Delivery: retries that never duplicate, a server that is down, refusals, flush at exit."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from tracegraph.sdk import AsyncClient, Client
from tracegraph.sdk.ops import Line
from tracegraph.sdk.transport import Transport, Unavailable

from .conftest import TENANT
from .serve import ServeProcess, create_key, free_port


class LosesAnswers:
    """A real transport whose answer to the first attempt of every batch is lost: the lines
    (or only the first ``partial`` of them: a connection reset midway) were stored, and the
    caller sees the store as unavailable, so it resends them."""

    def __init__(self, inner: Transport, partial: int | None = None) -> None:
        self.inner = inner
        self.partial = partial
        self.seen: set[int] = set()
        self.tenant_id = inner.tenant_id

    def send(self, lines: Sequence[Line]) -> list[Any]:
        first = id(lines[0].ops[0])
        if first not in self.seen:
            self.seen.add(first)
            self.inner.send(lines if self.partial is None else lines[:self.partial])
            raise Unavailable("the answer was lost", stored=0)
        return self.inner.send(lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Gated:
    """A real transport whose first send waits until :attr:`gate` is set (so the records
    written meanwhile queue up and go in one batch)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.tenant_id = inner.tenant_id

    def send(self, lines: Sequence[Line]) -> list[Any]:
        assert self.gate.wait(30)
        return self.inner.send(lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("partial", [None, 1])
def test_resent_batches_never_store_an_entry_twice(any_client: Client, partial: int | None
                                                   ) -> None:
    client = Client(LosesAnswers(any_client.transport, partial),  # type: ignore[arg-type]
                    backoff=(0.001, 0.01))
    with client.trace(goal="flaky network", agent_id="retry") as t:
        steps = [t.step("Reasoning", f"step {i}") for i in range(20)]
        t.api_call(endpoint="llm", request_tokens=5)
        t.human_input("Go on?", "yes")
        t.step("FinalAnswer", "done", depends_on=steps[:2])
    assert client.flush(30)
    assert client.stats.retries >= 1
    assert client.stats.dropped == 0 and client.stats.delivered == client.stats.enqueued == 25
    view = client.get_trace(t.trace_id)
    assert view is not None and view.status == "completed"
    assert view.entry_count == 1 + 21 + 1 + 1 + 1
    stored = client.session(t.session_id).steps
    assert [s.step_id for s in stored] == [*steps, stored[-1].step_id]
    assert [s.step_index for s in stored] == list(range(21))
    assert client.verify_trace(t.trace_id).valid


def test_a_server_that_is_down_never_blocks_the_agent(caplog: pytest.LogCaptureFixture
                                                      ) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    client = Client.http(url, api_key="tg_unused", max_queue=100, block_timeout=0.5,
                         backoff=(0.01, 0.05))
    with caplog.at_level(logging.WARNING, logger="tracegraph.sdk"):
        t = client.trace(goal="offline")
        longest, begun = 0.0, time.perf_counter()
        for i in range(2000):
            started = time.perf_counter()
            t.step("Reasoning", f"step {i}")
            longest = max(longest, time.perf_counter() - started)
        t.complete()
    # no write waited beyond one block_timeout (while the worker found the server down),
    # and once it was found down none waited at all (2000 waits would take 1000 s)
    assert longest < 0.5 + 0.5 and time.perf_counter() - begun < 30
    stats = client.stats
    # the buffer: the queue, plus the batch the worker took from it before the first failure
    assert stats.enqueued <= 2 * 100
    assert stats.enqueued + stats.dropped_by_reason["queue_full"] == 2002
    assert stats.retries >= 1 and stats.delivered == 0
    assert any("queue_full" in r.message for r in caplog.records)
    started = time.perf_counter()
    assert client.close(timeout=0.3) is False
    assert time.perf_counter() - started < 3
    assert client.stats.dropped == 2002 and client.stats.pending == 0


def test_async_writes_never_block_the_event_loop_when_the_server_is_down() -> None:
    async def main() -> tuple[float, int]:
        client = AsyncClient.http(f"http://127.0.0.1:{free_port()}", max_queue=10,
                                  block_timeout=0.2, backoff=(0.01, 0.05))
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        tick = asyncio.create_task(ticker())
        longest = 0.0
        async with client.trace(goal="offline") as t:
            for i in range(500):
                started = time.perf_counter()
                await t.step("Reasoning", f"{i}")
                longest = max(longest, time.perf_counter() - started)
            # the worker keeps retrying the closed port in the background; the loop must
            # stay free for other tasks meanwhile (a retry blocking it would starve the ticker)
            await asyncio.sleep(0.3)
        tick.cancel()
        await client.close(timeout=0.2)
        assert client.stats.dropped_by_reason["queue_full"] >= 480
        assert client.stats.retries >= 1  # the worker did try (and fail) while we ticked
        return longest, ticks

    longest, ticks = asyncio.run(main())
    # a 1 ms ticker for 0.3 s ticks ~300 times on a free loop; a blocked loop, almost never
    assert longest < 0.2 + 0.5 and ticks >= 20


def test_when_the_server_comes_back_a_flush_delivers_everything_once(tmp_path: Path) -> None:
    data = tmp_path / "server"
    key = create_key(data, TENANT)
    server = ServeProcess(data)  # not started yet: the port is closed
    client = Client.http(server.url, api_key=key, backoff=(0.01, 0.2))
    try:
        with client.trace(goal="written while the server is down") as t:
            ids = [t.step("Reasoning", f"step {i}") for i in range(300)]
            t.api_call(endpoint="llm")
        assert client.flush(0.5) is False
        assert client.stats.retries >= 1 and client.stats.pending == 303
        server.start()
        assert client.flush(30)
        assert client.stats.dropped == 0 and client.stats.delivered == 303
        view = client.get_trace(t.trace_id)
        assert view is not None and view.status == "completed"
        assert view.entry_count == 1 + 300 + 1 + 1
        assert [s.step_id for s in client.session(t.session_id).steps] == ids
        assert client.verify_trace(t.trace_id).valid
    finally:
        client.close()
        server.stop()


class ErrsOnPoison:
    """A real transport that answers like a server bug (HTTP 500) to any batch holding a
    step whose content is ``poison``."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.tenant_id = inner.tenant_id

    def send(self, lines: Sequence[Line]) -> list[Any]:
        if any(getattr(o.payload, "content", None) == "poison" for x in lines for o in x.ops):
            raise Unavailable("500 INTERNAL: server bug", answered=True)
        return self.inner.send(lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_batch_the_store_keeps_failing_on_is_isolated(local_client: Client) -> None:
    gated = Gated(ErrsOnPoison(local_client.transport))  # type: ignore[arg-type]
    client = Client(gated, backoff=(0.001, 0.01))  # type: ignore[arg-type]
    with client.trace(goal="one poisoned step") as t:
        kept = [t.step("Reasoning", "fine"), t.step("Reasoning", "poison"),
                t.step("Reasoning", "fine too")]
    gated.gate.set()
    assert client.flush(30)
    assert [s.step_id for s in client.session(t.session_id).steps] == [kept[0], kept[2]]
    assert client.stats.dropped == client.stats.dropped_by_reason["rejected"] == 1
    assert client.stats.retries >= 2 * 4  # the whole line, then the poisoned step alone


def test_requests_shrink_to_what_the_server_accepts(tmp_path: Path) -> None:
    data = tmp_path / "server"
    key = create_key(data, TENANT)
    server = ServeProcess(data, None, "--max-ingest-bytes", "20000").start()
    client = Client.http(server.url, api_key=key, backoff=(0.001, 0.01))
    try:
        with client.trace(goal="large steps") as t:
            ids = [t.step("Reasoning", f"{i} " + "x" * 1000) for i in range(50)]
            t.step("Reasoning", "y" * 30_000)  # larger than any request the server takes
        assert client.flush(60)
        assert [s.step_id for s in client.session(t.session_id).steps] == ids
        assert client.stats.dropped == client.stats.dropped_by_reason["rejected"] == 1
        # (the server's 413 names its limit: the client takes it, where halving the
        # refused body could leave it above the limit until a request fell in between)
        assert client.transport.max_request_bytes == 20_000  # type: ignore[attr-defined]
    finally:
        client.close()
        server.stop()


def test_a_refused_record_is_dropped_alone_and_counted(any_client: Client) -> None:
    gated = Gated(any_client.transport)
    client = Client(gated)  # type: ignore[arg-type]
    with client.trace(goal="one bad step") as t:
        first = t.step("Observation", "fine")
        t.step("Decision", "refused", depends_on=["no-such-step"])
        t.step("FinalAnswer", "fine too", depends_on=[first])
    gated.gate.set()
    assert client.flush(30)
    assert [s.content for s in client.session(t.session_id).steps] == ["fine", "fine too"]
    assert client.stats.dropped == client.stats.dropped_by_reason["rejected"] == 1
    view = client.get_trace(t.trace_id)
    assert view is not None and view.status == "completed"


def test_records_of_an_unknown_trace_are_dropped_and_counted(any_client: Client) -> None:
    ghost = any_client.attach("never-started-trace")
    for i in range(3):
        ghost.step("Reasoning", f"{i}")
    assert any_client.flush(30)
    ghost.step("Reasoning", "after")  # dropped at once: the trace is known lost
    assert any_client.stats.dropped == any_client.stats.dropped_by_reason["trace_lost"] == 4
    assert any_client.stats.pending == 0


def test_a_refused_api_key_drops_and_counts(served: tuple[ServeProcess, str]) -> None:
    server, _ = served
    client = Client.http(server.url, api_key="tg_not_a_real_key")
    client.trace(goal="x").step("Reasoning", "y")
    assert client.flush(30)
    assert client.stats.dropped == client.stats.dropped_by_reason["unauthenticated"] == 2
    client.close()


def test_the_interpreter_exit_flushes_what_is_queued(tmp_path: Path) -> None:
    data = tmp_path / "data"
    script = ("from tracegraph.sdk import Client\n"
              f"client = Client.local({str(data)!r})\n"
              "t = client.trace(goal='exit')\n"
              "for i in range(500):\n"
              "    t.step('Reasoning', str(i))\n"
              "t.complete('success')\n")  # no flush, no close: atexit does it
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
    with Client.local(data) as client:
        (trace,) = client.list_traces()
        assert (trace.status, trace.entry_count) == ("completed", 502)
        assert client.verify_trace(trace.trace_id).valid

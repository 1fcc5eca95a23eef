"""Nesting follows the context: across threads (with ``in_context``) and asyncio tasks."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import tracegraph.sdk as tg
from tracegraph.sdk import AsyncClient, Client, context, current_trace, in_context


def _parents(client: Client, trace_ids: list[str]) -> dict[str, str | None]:
    assert client.flush(30)
    views = {t: client.get_trace(t) for t in trace_ids}
    return {t: (v.parent_trace_id if v is not None else "missing") for t, v in views.items()}


def test_threads_started_with_in_context_nest_under_the_callers_trace(local_client: Client
                                                                      ) -> None:
    barrier = threading.Barrier(4)

    def work(n: int) -> tuple[str, str | None]:
        barrier.wait(timeout=10)  # all four run at once, each in its own thread
        with local_client.trace(goal=f"worker {n}") as child:
            child.step("Action", f"did {n}")
            with local_client.trace(goal=f"helper of {n}") as grandchild:
                grandchild.step("Observation", "ok")
            inner = current_trace()
            return child.trace_id, grandchild.trace_id if inner is child else None

    with local_client.trace(goal="fan out") as root, ThreadPoolExecutor(4) as pool:
        root.step("PlanStep", "split the work")
        results = list(pool.map(in_context(work), range(4)))
        plain = pool.submit(lambda: local_client.trace(goal="no context").trace_id).result()
    assert current_trace() is None
    parents = _parents(local_client, [c for c, _ in results] + [plain])
    assert all(parents[c] == root.trace_id for c, _ in results)
    assert parents[plain] is None  # a thread without the caller's context starts a root
    grand = _parents(local_client, [g for _, g in results if g is not None])
    assert sorted(grand.values()) == sorted(c for c, _ in results)  # each under its own child


def test_asyncio_tasks_nest_under_the_trace_they_were_created_in(tmp_path: object) -> None:
    async def main() -> tuple[str, list[tuple[str, str]], AsyncClient]:
        client = AsyncClient.local(str(tmp_path))

        async def agent(n: int) -> tuple[str, str]:
            async with client.trace(goal=f"agent {n}") as t:
                await t.step("Reasoning", f"thinking {n}")
                await asyncio.sleep(0.01 * (3 - n))  # interleave the tasks
                async with client.trace(goal=f"tool of {n}") as tool:
                    await tool.step("ToolCall", "search")
                return t.trace_id, tool.trace_id

        async with client.trace(goal="orchestrate") as root:
            pairs = await asyncio.gather(*(agent(n) for n in range(3)))
            assert tg.current_trace() is root.inner
        await client.flush(30)
        return root.trace_id, list(pairs), client

    root, pairs, client = asyncio.run(main())
    parents = _parents(client.sync, [a for a, _ in pairs] + [b for _, b in pairs])
    for agent_id, tool_id in pairs:
        assert parents[agent_id] == root  # siblings, not nested under one another
        assert parents[tool_id] == agent_id
    client.sync.close()


def test_module_level_trace_and_traced_use_the_configured_client(
        local_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "_default", [])  # the default goes when the test ends
    tg.configure(local_client)

    @tg.traced
    def step_in_current(text: str) -> str:
        t = tg.current_trace()
        assert t is not None
        t.step("Action", text)
        return t.trace_id

    with tg.trace(goal="module level") as t:
        child = step_in_current("inside")
    parents = _parents(local_client, [child])
    assert parents[child] == t.trace_id
    assert [s.content for s in local_client.session(t.session_id).steps] == ["inside"]

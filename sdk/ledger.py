"""Seed 001's chain-of-thought ledger calls as thin helpers over a :class:`~.client.Client`.

A ledger session is one trace (of this ledger's agent) per ``session_id``: the first
``log_reasoning_step`` of a session reuses the session's newest active trace of the agent,
or starts one. Step indexes and hashes are per trace, so per session here.

``log_reasoning_step`` returns the step's index and hash, which only the store knows: the
call queues the step like any other write and then **waits until the worker has stored it**
(everything queued before it goes first), up to ``wait`` seconds. When the store does not
answer in time the step stays queued (it is stored once the store is back) and the call
returns ``status="pending"`` with ``step_index`` and ``current_hash`` ``None``; when it was
dropped (queue full while the store was down) ``status="dropped"``. Only a step the store
refuses (its ``depends_on`` names no stored step, its trace was completed...) raises
:class:`~.batcher.Dropped`.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal, TypedDict, Unpack, cast

from tracegraph.schema.inputs import StepInput
from tracegraph.schema.views import StepView

from .batcher import Dropped, log
from .client import ActiveTrace, Client, StepExtras, StepFields


class LoggedStep(TypedDict):
    trace_id: str
    step_id: str
    step_index: int | None
    current_hash: str | None
    status: Literal["stored", "pending", "dropped"]


class ReplayedStep(TypedDict):
    trace_id: str
    step_id: str
    step_index: int
    step_type: str
    content: str | None
    input_data: Any
    output_data: Any
    confidence: float | None
    model: str | None
    created_at: str
    prev_hash: str
    current_hash: str


class Replay(TypedDict):
    session_id: str
    agent_id: str | None
    step_count: int
    chain_valid: bool | None
    steps: list[ReplayedStep]


class SessionHistory(TypedDict):
    session_id: str
    step_count: int
    first_step_at: str | None
    last_step_at: str | None
    chain_valid: bool


class Ledger:
    """``log_reasoning_step`` / ``replay_decision`` / ``get_session_history`` of one agent.

    >>> import tempfile
    >>> ledger = Ledger(Client.local(tempfile.mkdtemp()), agent_id="analyst")
    >>> first = ledger.log_reasoning_step("s-42", "Observation", "Q4 revenue, please")
    >>> ledger.log_reasoning_step("s-42", "FinalAnswer", "7.49M", confidence=0.95)["step_index"]
    1
    >>> r = ledger.replay_decision("s-42", verify_chain=True)
    >>> r["chain_valid"], r["step_count"], r["agent_id"]
    (True, 2, 'analyst')
    >>> ledger.client.close()
    True
    """

    def __init__(self, client: Client, agent_id: str | None = None, *, wait: float = 10.0
                 ) -> None:
        self.client = client
        self.agent_id = agent_id
        self.wait = wait
        self._traces: dict[str, ActiveTrace] = {}
        self._lock = threading.Lock()

    def session_trace(self, session_id: str) -> ActiveTrace:
        """The trace this ledger appends the session's steps to (a new one when the store
        cannot be asked for the session's active trace)."""
        with self._lock:
            trace = self._traces.get(session_id)
            if trace is None:
                try:
                    found = self.client.list_traces(session_id=session_id,
                                                    agent_id=self.agent_id, status="active",
                                                    limit=1)
                except Exception as exc:  # the store is down: a new trace of the session
                    log.warning("tracegraph sdk: cannot look up session %s (%s); starting a "
                                "new trace for it", session_id, exc)
                    found = []
                if found:
                    trace = self.client.attach(found[0].trace_id, session_id)
                elif self.agent_id is not None:
                    trace = self.client.trace(None, session_id=session_id,
                                              agent_id=self.agent_id, nest=False)
                else:
                    trace = self.client.trace(None, session_id=session_id, nest=False)
                self._traces[session_id] = trace
            return trace

    def log_reasoning_step(self, session_id: str, step_type: str, content: str | None = None,
                           input_data: Any = None, output_data: Any = None,
                           confidence: float | None = None, model: str | None = None,
                           **extras: Unpack[StepExtras]) -> LoggedStep:
        """Append a step to the session's chain; its index and hash once stored."""
        trace = self.session_trace(session_id)
        fields = cast(StepFields, extras)
        if input_data is not None:
            fields["input_data"] = input_data
        if output_data is not None:
            fields["output_data"] = output_data
        if confidence is not None:
            fields["confidence"] = confidence
        if model is not None:
            fields["model_id"] = model
        done: Future[Any] = Future()
        op = trace.step_op(step_type, content, done=done, **fields)
        assert isinstance(op.payload, StepInput)
        step_id = str(op.payload.step_id)
        logged = LoggedStep(trace_id=trace.trace_id, step_id=step_id, step_index=None,
                            current_hash=None, status="pending")
        if not self.client.batcher.put(op):
            return {**logged, "status": "dropped"}
        try:
            view = done.result(timeout=self.wait)
        except FutureTimeout:
            return logged
        except Dropped as exc:
            if exc.reason == "rejected":
                raise
            return {**logged, "status": "dropped"}
        if not isinstance(view, StepView):  # over HTTP the ingest answer has no step index
            view = self.client.get_step(trace.trace_id, step_id)
        if view is None:
            return logged
        return {**logged, "step_index": view.step_index, "current_hash": view.hash,
                "status": "stored"}

    def replay_decision(self, session_id: str, verify_chain: bool = True) -> Replay:
        """The session's steps in order, and whether its hash chains verify (``None`` when
        not asked, or the session is unknown)."""
        self.client.flush(self.wait)
        replay = self.client.session(session_id)
        valid: bool | None = None
        if verify_chain and replay.traces:
            valid = self.client.verify_session(session_id).valid
        steps = [ReplayedStep(
            trace_id=s.trace_id, step_id=s.step_id, step_index=s.step_index,
            step_type=s.step_type, content=s.content, input_data=s.input_data,
            output_data=s.output_data, confidence=s.confidence, model=s.model_id,
            created_at=s.created_at, prev_hash=s.prev_hash, current_hash=s.hash)
            for s in replay.steps]
        agent = replay.traces[0].agent_id if replay.traces else None
        return Replay(session_id=session_id, agent_id=agent, step_count=len(steps),
                      chain_valid=valid, steps=steps)

    def get_session_history(self, agent_id: str | None = None, limit: int = 20
                            ) -> list[SessionHistory]:
        """The agent's most recent sessions, newest first, with step counts, first and last
        step times and whether their chains verify."""
        self.client.flush(self.wait)
        sessions: list[str] = []
        offset = 0
        while len(sessions) < limit:
            page = self.client.list_traces(agent_id=agent_id or self.agent_id, limit=100,
                                           offset=offset)
            sessions.extend(dict.fromkeys(v.session_id for v in page
                                          if v.session_id not in sessions))
            if len(page) < 100:
                break
            offset += len(page)
        history: list[SessionHistory] = []
        for session_id in sessions[:limit]:
            steps = self.client.session(session_id).steps
            times = sorted(s.created_at for s in steps)
            history.append(SessionHistory(
                session_id=session_id, step_count=len(steps),
                first_step_at=times[0] if times else None,
                last_step_at=times[-1] if times else None,
                chain_valid=self.client.verify_session(session_id).valid))
        return history

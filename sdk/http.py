"""The HTTP transport: writes through bulk ingest (``POST /v1/ingest``), reads through GraphQL.

Lines are sent as NDJSON, as many per request as fit in :data:`MAX_REQUEST_BYTES`, with
``Authorization: Bearer <API key>`` (and ``X-Org-Id`` when a tenant is named: in local mode
it chooses the tenant, with a key it must agree with the key's). The server answers how many
lines it stored and which line it refused (see :mod:`tracegraph.api.bulk`); connection
errors, timeouts, 408, 429 and 5xx answers are :class:`~.transport.Unavailable` (retried by
the batcher), other refusals :class:`~.transport.Rejected`.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import httpx
import orjson
from pydantic.alias_generators import to_snake
from tracegraph.api.service import SessionReplay, TracePage
from tracegraph.schema.views import ChainVerification, StepView, TraceView

from .ops import Line
from .transport import TRANSIENT_CODES, Rejected, TraceQuery, Unavailable

INGEST_PATH = "/v1/ingest"
GRAPHQL_PATH = "/graphql"
#: Largest NDJSON body the transport sends in one request (the server accepts 64 MiB).
MAX_REQUEST_BYTES = 8 * 1024 * 1024
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

TRACE_FIELDS = """traceId tenantId sessionId agentId actorUrn goal parentTraceId
 spawnedByStepId metadata includeReasoningTrace status outcome finalAnswer confidence
 errorDetails createdAt completedAt entryCount headHash modelIdsUsed pathTaken
 totals { thinkingTokens inputTokens outputTokens costUsd durationMs stepCount apiCallCount }"""
STEP_FIELDS = """stepId traceId stepIndex seq stepType content reasoningHash inputData outputData
 inputSummary outputSummary alternativesConsidered selectedAlternative confidence durationMs
 modelId inputTokens outputTokens thinkingTokens dependsOn metadata createdAt prevHash hash
 hasEmbedding"""
VERIFY_FIELDS = "valid entriesChecked firstBrokenSeq reason traceId tracesChecked headHash"
GET_TRACE = f"query($t: ID!) {{ trace(traceId: $t) {{ {TRACE_FIELDS} }} }}"
LIST_TRACES = (f"query($f: TraceFilter, $n: Int, $a: String) {{ traces(filter: $f, first: $n, "
               f"after: $a) {{ edges {{ cursor node {{ {TRACE_FIELDS} }} }} "
               "pageInfo { hasNextPage hasPreviousPage } } }")
SESSION = (f"query($s: ID!) {{ session(sessionId: $s) {{ traces {{ {TRACE_FIELDS} }} "
           f"steps {{ {STEP_FIELDS} }} }} }}")
GET_STEP = (f"query($t: ID!, $n: ID!) {{ trace(traceId: $t) {{ tenantId }} "
            f"node(id: $n) {{ ... on Step {{ {STEP_FIELDS} }} }} }}")
VERIFY_TRACE = f"query($t: ID!) {{ verifyTrace(traceId: $t) {{ {VERIFY_FIELDS} }} }}"
VERIFY_SESSION = f"query($s: ID!) {{ verifySession(sessionId: $s) {{ {VERIFY_FIELDS} }} }}"
#: GraphQL enum values are upper case; the views keep the stored lower-case names.
_ENUMS = frozenset({"status", "outcome"})


class GraphQLError(Exception):
    """A GraphQL read answered with errors."""


class HttpTransport:
    """Talks to a running ``tracegraph serve`` at ``url``."""

    def __init__(self, url: str, *, api_key: str | None = None, tenant_id: str | None = None,
                 timeout: float = 10.0, max_request_bytes: int = MAX_REQUEST_BYTES) -> None:
        headers = {"User-Agent": "tracegraph-sdk"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        if tenant_id:
            headers["X-Org-Id"] = tenant_id
        self.tenant_id = tenant_id
        self.max_request_bytes = max_request_bytes
        base = url.rstrip("/")
        # writes (the batcher's thread) and reads (the caller's) keep separate pools
        self._writes = httpx.Client(base_url=base, headers=headers, timeout=timeout)
        self._reads = httpx.Client(base_url=base, headers=headers, timeout=timeout)

    # -- writes ---------------------------------------------------------------------------
    def send(self, lines: Sequence[Line]) -> list[Any]:
        encoded = [line.encoded() for line in lines]
        start = 0
        while start < len(encoded):
            end, size = start, 0
            while end < len(encoded) and (end == start or
                                          size + len(encoded[end]) < self.max_request_bytes):
                size += len(encoded[end]) + 1
                end += 1
            if size > self.max_request_bytes:
                raise Rejected(f"line of {size} bytes exceeds the request limit of "
                               f"{self.max_request_bytes}", code="LIMIT_EXCEEDED",
                               stored=start, failed=start)
            self._post(b"\n".join(encoded[start:end]), start, end - start)
            start = end
        return [None] * len(lines)

    def _post(self, body: bytes, offset: int, count: int) -> None:
        try:
            r = self._writes.post(INGEST_PATH, content=body,
                                  headers={"Content-Type": "application/x-ndjson"})
        except httpx.HTTPError as exc:
            raise Unavailable(f"{type(exc).__name__}: {exc}", stored=offset) from exc
        if r.status_code == 200:
            return
        error, stored = _error_body(r)
        if r.status_code == 413 and count > 1:  # the server takes less: send smaller requests
            limit = error.get("limit")  # (the server's own, when its answer names it)
            self.max_request_bytes = (limit if isinstance(limit, int) and 0 < limit < len(body)
                                      else max(1, len(body) // 2))
            raise Unavailable(f"413: {len(body)} bytes is too large for this server",
                              stored=offset)
        code = str(error.get("code", f"HTTP_{r.status_code}"))
        message = str(error.get("message", r.text[:200]))
        if r.status_code in RETRY_STATUSES or code in TRANSIENT_CODES:
            raise Unavailable(f"{r.status_code} {code}: {message}", stored=offset + stored,
                              answered=r.status_code == 500)
        line = error.get("line")
        failed = offset + int(line) - 1 if isinstance(line, int) else None
        if r.status_code == 413:  # one line, too large for this server
            failed = offset
        raise Rejected(f"{r.status_code} {code}: {message}", code=code,
                       stored=offset + stored, failed=failed)

    # -- reads ----------------------------------------------------------------------------
    def query(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The data of a GraphQL query, with this transport's credentials."""
        r = self._reads.post(GRAPHQL_PATH, json={"query": query, "variables": variables})
        if r.status_code != 200:
            raise GraphQLError(f"{r.status_code}: {r.text[:300]}")
        body: dict[str, Any] = orjson.loads(r.content)
        if body.get("errors"):
            raise GraphQLError("; ".join(str(e.get("message")) for e in body["errors"]))
        data: dict[str, Any] = body["data"]
        return data

    def get_trace(self, trace_id: str) -> TraceView | None:
        got = self.query(GET_TRACE, {"t": trace_id})["trace"]
        return None if got is None else _trace_view(got)

    def list_traces(self, query: TraceQuery, first: int, after: str | None) -> TracePage:
        flt = {k: v for k, v in {
            "sessionId": query.session_id, "agentId": query.agent_id,
            "status": query.status.upper() if query.status else None,
            "outcome": query.outcome.upper() if query.outcome else None,
            "modelId": query.model_id, "parentTraceId": query.parent_trace_id,
        }.items() if v is not None}
        got = self.query(LIST_TRACES, {"f": flt, "n": first, "a": after})["traces"]
        info = got["pageInfo"]
        return TracePage([_trace_view(e["node"]) for e in got["edges"]],
                         [e["cursor"] for e in got["edges"]], info["hasNextPage"],
                         info["hasPreviousPage"])

    def session(self, session_id: str) -> SessionReplay | None:
        got = self.query(SESSION, {"s": session_id})["session"]
        if got is None:
            return None
        traces = [_trace_view(t) for t in got["traces"]]
        tenant = traces[0].tenant_id if traces else ""
        return SessionReplay(session_id, traces, [_step_view(s, tenant) for s in got["steps"]])

    def get_step(self, trace_id: str, step_id: str) -> StepView | None:
        node = base64.urlsafe_b64encode(f"Step:{trace_id}/{step_id}".encode()).decode()
        got = self.query(GET_STEP, {"t": trace_id, "n": node})
        if got["trace"] is None or not got["node"]:
            return None
        return _step_view(got["node"], got["trace"]["tenantId"])

    def verify_trace(self, trace_id: str) -> ChainVerification:
        return _verification(self.query(VERIFY_TRACE, {"t": trace_id})["verifyTrace"])

    def verify_session(self, session_id: str) -> ChainVerification:
        return _verification(self.query(VERIFY_SESSION, {"s": session_id})["verifySession"])

    def close(self) -> None:
        self._writes.close()
        self._reads.close()


def _error_body(r: httpx.Response) -> tuple[dict[str, Any], int]:
    """The ``error`` object of a refusal and how many lines the server stored first."""
    try:
        body = orjson.loads(r.content)
    except orjson.JSONDecodeError:
        return {}, 0
    if not isinstance(body, dict):
        return {}, 0
    error = body.get("error")
    stored = body.get("stored", {})
    lines = stored.get("lines", 0) if isinstance(stored, dict) else 0
    return (error if isinstance(error, dict) else {}), int(lines)


def _snake(obj: dict[str, Any]) -> dict[str, Any]:
    out = {to_snake(k): v for k, v in obj.items()}
    for k in _ENUMS & out.keys():
        if isinstance(out[k], str):
            out[k] = out[k].lower()
    return out


def _trace_view(obj: dict[str, Any]) -> TraceView:
    values = _snake(obj)
    if values.get("totals") is not None:
        values["totals"] = _snake(values["totals"])
    return TraceView.model_validate(values)


def _step_view(obj: dict[str, Any], tenant_id: str) -> StepView:
    return StepView.model_validate({**_snake(obj), "tenant_id": tenant_id})


def _verification(obj: dict[str, Any]) -> ChainVerification:
    return ChainVerification.model_validate(_snake(obj))

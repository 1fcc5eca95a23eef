"""The MCP server object (the official SDK's ``MCPServer``) with tracegraph's tools, and its
streamable HTTP app with API keys.

Tenancy: over stdio every call acts for the configured tenant; over HTTP each request's
``Authorization: Bearer <key>`` names it, resolved by :class:`~..auth.Authenticator` (the
same rules as GraphQL: local mode without keys, loopback only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field, ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from tracegraph.schema.errors import TraceGraphError
from tracegraph.schema.inputs import StepInput

from ..auth import LOCAL_TENANT, Authenticator
from ..auth_http import TenantMiddleware
from ..service import TraceService
from .tools import LedgerTools

MCP_PATH = "/mcp"
T = TypeVar("T")
SessionId = Annotated[str, Field(description="Groups steps into a reasoning session; "
                                 "the first step of a new id starts its trace.")]


class TenantResolver:
    """The tenant of a tool call: from the HTTP request's API key, else the configured one."""

    def __init__(self, auth: Authenticator | None, stdio_tenant: str) -> None:
        self.auth = auth
        self.stdio_tenant = stdio_tenant

    def __call__(self, ctx: Context) -> str:
        try:
            headers = ctx.headers
        except ValueError:  # called outside a transport's request (in-process)
            headers = None
        if headers is None or self.auth is None:
            return self.stdio_tenant
        return self.auth.tenant({k.lower(): v for k, v in headers.items()})


def _answer(call: Callable[[], T]) -> T:
    """Run a tool's work; typed errors become tool errors naming the field."""
    try:
        return call()
    except TraceGraphError as exc:
        raise ToolError(f"{exc.code}: {exc}") from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in exc.errors())
        raise ToolError(f"INVALID_INPUT: {problems}") from None


def create_mcp_server(service: TraceService, *, auth: Authenticator | None = None,
                      tenant: str = LOCAL_TENANT) -> MCPServer:
    """The MCP server with seed 001's ledger tools and the graph's read tools."""
    tools = LedgerTools(service)
    tenant_of = TenantResolver(auth, tenant)
    server: MCPServer = MCPServer(
        name="tracegraph", instructions="Tamper-evident ledger of agent reasoning: log each "
        "step with log_reasoning_step, replay and verify a session with replay_decision.")

    @server.tool()
    def log_reasoning_step(
        session_id: SessionId, step_type: str, ctx: Context, content: str | None = None,
        input_data: Any = None, output_data: Any = None, confidence: float | None = None,
        model: str | None = None, duration_ms: float | None = None,
        metadata: dict[str, Any] | None = None, agent_id: str | None = None,
    ) -> dict[str, Any]:
        """Append one reasoning step (Observation, Hypothesis, ToolCall, ToolResult,
        Reasoning, Decision, Action, Error, Correction, Summary, PlanStep, FinalAnswer) to
        the session's hash chain; answers its trace_id, step_index and current_hash."""
        def work() -> dict[str, Any]:
            step = StepInput(step_type=step_type, content=content, input_data=input_data,
                             output_data=output_data, confidence=confidence, model_id=model,
                             duration_ms=duration_ms, metadata=metadata)
            return tools.log_reasoning_step(tenant_of(ctx), session_id, step, agent_id)
        return _answer(work)

    @server.tool()
    def replay_decision(session_id: SessionId, ctx: Context,
                        verify_chain: bool = True) -> dict[str, Any]:
        """Every step of a session in order, and (verify_chain) whether its hash chains
        verify."""
        return _answer(lambda: tools.replay_decision(tenant_of(ctx), session_id, verify_chain))

    @server.tool()
    def get_session_history(agent_id: str, ctx: Context,
                            limit: Annotated[int, Field(ge=1, le=100)] = 20
                            ) -> list[dict[str, Any]]:
        """The agent's recent sessions: step count, first and last step time, chain
        validity."""
        return _answer(lambda: tools.get_session_history(tenant_of(ctx), agent_id, limit))

    @server.tool()
    def get_run_tree(trace_id: str, ctx: Context, from_root: bool = False,
                     include_steps: bool = False) -> dict[str, Any]:
        """A trace and every trace nested under it (from its run's root with from_root)."""
        return _answer(lambda: tools.get_run_tree(tenant_of(ctx), trace_id, from_root,
                                                  include_steps))

    @server.tool()
    def find_path(from_id: str, to_id: str, ctx: Context,
                  mode: Literal["SHORTEST", "ALL_SIMPLE"] = "SHORTEST",
                  max_length: int | None = None) -> dict[str, Any]:
        """Directed paths between two nodes (steps, traces, calls) from cause to effect."""
        return _answer(lambda: tools.find_path(tenant_of(ctx), from_id, to_id, mode,
                                               max_length))

    @server.tool()
    def get_lineage(node_id: str, ctx: Context,
                    direction: Literal["UP", "DOWN", "BOTH"] = "BOTH",
                    max_depth: int | None = None) -> dict[str, Any]:
        """Ancestors (UP) and/or descendants (DOWN) of a node, with their hop counts."""
        return _answer(lambda: tools.get_lineage(tenant_of(ctx), node_id, direction,
                                                 max_depth))

    @server.tool()
    def verify_chain(ctx: Context, trace_id: str | None = None,
                     session_id: str | None = None) -> dict[str, Any]:
        """Recompute the hash chain of one trace or of every trace of a session."""
        return _answer(lambda: tools.verify_chain(tenant_of(ctx), trace_id, session_id))

    return server


def mcp_http_app(service: TraceService, auth: Authenticator, *,
                 host: str = "127.0.0.1") -> Starlette:
    """The streamable HTTP app at :data:`MCP_PATH`: a request without a valid API key (when
    keys are required) is refused with 401 before it reaches the MCP session. Bound to
    loopback, the SDK also refuses foreign Host and Origin headers (DNS rebinding)."""
    server = create_mcp_server(service, auth=auth)
    app = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    app.user_middleware.insert(0, Middleware(TenantMiddleware, auth=auth))
    return app

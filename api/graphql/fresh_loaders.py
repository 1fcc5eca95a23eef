"""Fresh DataLoaders for every operation of a WebSocket connection.

Over HTTP the context (and its loaders) is made per request. A WebSocket connection keeps
one context for all its operations, so this extension gives each operation new loaders:
no answer is served from a cache filled by an earlier operation.
"""

from __future__ import annotations

from collections.abc import Iterator

from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension

from .context import TraceContext
from .dataloaders.loaders import Loaders


class FreshLoaders(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        ctx = self.execution_context.context
        if isinstance(ctx, TraceContext) and isinstance(ctx.connection, WebSocket):
            ctx.loaders = Loaders.create(ctx.service, ctx.tenant_id)
        yield

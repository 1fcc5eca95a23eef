"""The per-request GraphQL context: the caller's tenant, the service layer and the DataLoaders.

The GraphQL app resolves the tenant in :func:`resolve_tenant` and nowhere else; it defers
to :class:`tracegraph.api.auth.Authenticator` (API keys, or local mode: ``X-Org-Id`` or
``default``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import strawberry
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from tracegraph.api.auth import Authenticator
from tracegraph.api.service import GraphService, TraceService
from tracegraph.api.service.audit import AuditService

from .dataloaders.loaders import Loaders
from .live_updates import LiveUpdates

LOCAL_MODE = Authenticator(keys=None)

P = ParamSpec("P")
T = TypeVar("T")


def resolve_tenant(headers: Mapping[str, str], auth: Authenticator | None = None) -> str:
    """The caller's tenant. Without an authenticator (local mode): the ``X-Org-Id`` header,
    or ``default`` when it is absent. Raises ``Forbidden`` or ``Unauthenticated``."""
    return (auth or LOCAL_MODE).tenant(headers)


@dataclass
class TraceContext:
    """What every resolver gets as ``info.context``."""

    service: TraceService
    graph: GraphService
    tenant_id: str
    loaders: Loaders
    events: LiveUpdates
    connection: HTTPConnection | None = None
    #: Checkpoints, proofs and log verification (with the deployment's signing key, if any).
    audit: AuditService | None = None
    #: A WebSocket's connection_init payload (strawberry sets it); may carry credentials.
    connection_params: dict[str, Any] | None = None

    @classmethod
    def create(
        cls, service: TraceService, tenant_id: str, connection: HTTPConnection | None = None,
        *, graph: GraphService | None = None, events: LiveUpdates | None = None,
        audit: AuditService | None = None,
    ) -> TraceContext:
        return cls(service, graph or GraphService.beside(service), tenant_id,
                   Loaders.create(service, tenant_id), events or LiveUpdates(), connection,
                   audit or AuditService(service))

    @property
    def log(self) -> AuditService:
        """The audit service (one without a signing key when none was given)."""
        if self.audit is None:
            self.audit = AuditService(self.service)
        return self.audit

    def use_tenant(self, tenant_id: str) -> None:
        """Settle the tenant (a WebSocket authenticated by its connection_init payload)."""
        self.tenant_id = tenant_id
        self.loaders = Loaders.create(self.service, tenant_id)

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a (blocking) service call in the thread pool, off the event loop."""
        return await run_in_threadpool(fn, *args, **kwargs)


Info = strawberry.Info[TraceContext, Any]

"""The strawberry schema: Query, Mutation, Subscription, scalars, limits and error mapping."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from .errors import ErrorMapping, log_errors
from .execution import FastLeafExecutor
from .fresh_loaders import FreshLoaders
from .graph_query import GraphQuery
from .mutation import Mutation
from .query import Query
from .scalars import SCALARS
from .subscription import Subscription

MAX_DEPTH = 15
MAX_ALIASES = 30
MAX_TOKENS = 5000


class TraceGraphSchema(strawberry.Schema):
    """Logs only unexpected errors (see :mod:`.errors`)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(*, debug: bool = False) -> strawberry.Schema:
    """The schema served at /graphql; ``debug`` shows unexpected errors unmasked."""
    extensions: list[Any] = [  # factories: each request gets fresh extension instances
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ErrorMapping(debug=debug),
        FreshLoaders,
    ]
    query = merge_types("Query", (Query, GraphQuery))
    return TraceGraphSchema(query=query, mutation=Mutation, subscription=Subscription,
                            extensions=extensions, scalar_overrides=SCALARS,
                            execution_context_class=FastLeafExecutor)


def sdl() -> str:
    """The schema in SDL, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"

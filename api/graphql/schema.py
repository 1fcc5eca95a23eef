"""The strawberry schema: Query, Mutation, Subscription, scalars, limits and error mapping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import suppress
from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError, parse
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from .errors import ErrorMapping, log_errors
from .fast_path import FastLeafExecutor
from .fresh_loaders import FreshLoaders
from .graph_query import GraphQuery
from .mutation import Mutation
from .query import Query
from .scalars import SCALARS
from .semantic_query import SemanticQuery
from .session_query import SessionQuery
from .subscription import Subscription

MAX_DEPTH = 15
MAX_ALIASES = 30
MAX_TOKENS = 5000
#: Documents whose parse and validation are kept (clients repeat the same few documents:
#: a request then skips both, a few ms each).
DOCUMENT_CACHE = 256


_parse = lru_cache(maxsize=DOCUMENT_CACHE)(parse)


class CachedParse(SchemaExtension):
    """A document's parse is kept (LRU). A query that does not parse is left to strawberry,
    which parses it again and reports the error the usual way."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.query:
            with suppress(GraphQLError):
                ctx.graphql_document = _parse(ctx.query, **ctx.parse_options)
        yield


class CachedValidation(ValidationCache):
    """strawberry's ``ValidationCache`` (a document is validated once per set of rules),
    handing each request its own copy of the cached error list."""

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        errors = self.cached_validate_document(ctx.schema._schema, ctx.graphql_document,
                                               ctx.validation_rules)
        ctx.pre_execution_errors = list(errors)
        yield


class TraceGraphSchema(strawberry.Schema):
    """Logs only unexpected errors (see :mod:`.errors`)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_errors(errors)


def build_schema(*, debug: bool = False) -> strawberry.Schema:
    """The schema served at /graphql; ``debug`` shows unexpected errors unmasked."""
    # The depth and alias limits are validation rules: built once, so that every request
    # validates with the same rules and a document's validation result can be cached.
    limits = [*QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
              *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules]
    extensions: list[Any] = [  # factories: each request gets fresh extension instances
        lambda: AddValidationRules(limits),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CachedParse,
        lambda: CachedValidation(maxsize=DOCUMENT_CACHE),
        lambda: ErrorMapping(debug=debug),
        FreshLoaders,
    ]
    query = merge_types("Query", (Query, GraphQuery, SessionQuery, SemanticQuery))
    return TraceGraphSchema(query=query, mutation=Mutation, subscription=Subscription,
                            extensions=extensions, scalar_overrides=SCALARS,
                            execution_context_class=FastLeafExecutor)


def sdl() -> str:
    """The schema in SDL, as committed in ``schema.graphql``."""
    return build_schema().as_str() + "\n"

"""Errors to GraphQL errors: codes and fields from :mod:`tracegraph.api.errors` (the same as
the HTTP routes give), unexpected errors masked.

* A typed :class:`~tracegraph.schema.errors.TraceGraphError` keeps its message and gets
  ``extensions.code`` (``NOT_FOUND``, ``BAD_USER_INPUT``, ``LIMIT_EXCEEDED``,
  ``TRACE_CLOSED``, ``ALREADY_EXISTS``...) and, when it names one, ``extensions.field``.
* Errors raised before execution (syntax, validation, variable coercion, the depth, alias
  and token limits) come from graphql-core and strawberry and are shown as they are, with
  ``GRAPHQL_PARSE_FAILED``, ``GRAPHQL_VALIDATION_FAILED``, ``BAD_USER_INPUT`` or
  ``LIMIT_EXCEEDED``.
* Anything else is a bug: outside debug mode its message becomes ``Internal server error.``
  (code ``INTERNAL``) and it is logged; in debug mode the message and type are shown.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors
from tracegraph.api.errors import error_fields
from tracegraph.schema.errors import TraceGraphError

log = logging.getLogger("tracegraph.api.graphql")

MASKED_MESSAGE = "Internal server error."

#: Fragments of the messages strawberry's and graphql-core's limit checks produce; each
#: names its limit (``exceeds maximum operation depth of 15``, ``31 aliases found.
#: Allowed: 30``, ``Document contains more than 5000 tokens``).
LIMIT_FRAGMENTS = (
    "exceeds maximum operation depth",
    "aliases found. Allowed:",
    "Document contains more than",
)


def typed_error(error: GraphQLError) -> TraceGraphError | None:
    original = error.original_error
    return original if isinstance(original, TraceGraphError) else None


def is_unexpected(error: GraphQLError) -> bool:
    """True for an error raised by a resolver that is not one of tracegraph's typed errors."""
    return error.path is not None and typed_error(error) is None


def error_code(error: GraphQLError) -> str:
    typed = typed_error(error)
    if typed is not None:
        return typed.code
    if any(f in error.message for f in LIMIT_FRAGMENTS):
        return "LIMIT_EXCEEDED"
    if error.path is not None:
        return "INTERNAL"
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def map_error(error: GraphQLError, *, debug: bool) -> GraphQLError:
    """The error as clients see it (see the module docstring)."""
    typed = typed_error(error)
    extensions: dict[str, Any] = {**(error.extensions or {}), "code": error_code(error),
                                  **(error_fields(typed) if typed is not None else {})}
    message = error.message
    if is_unexpected(error):
        if debug:
            extensions["exception"] = type(error.original_error).__name__
        else:
            message = MASKED_MESSAGE
    return GraphQLError(message, nodes=error.nodes, source=error.source,
                        positions=error.positions, path=error.path,
                        original_error=error.original_error if debug or typed else None,
                        extensions=extensions)


class ErrorMapping(MaskErrors):
    """Schema extension applying :func:`map_error` to every error of every result."""

    def __init__(self, *, debug: bool = False) -> None:
        super().__init__(should_mask_error=lambda _error: True, error_message=MASKED_MESSAGE)
        self.debug = debug

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return map_error(error, debug=self.debug)


def log_errors(errors: list[GraphQLError]) -> None:
    """Log unexpected errors with their traceback; typed and request errors are the caller's."""
    for error in errors:
        if is_unexpected(error):
            log.error("unexpected error at %s: %s", error.path, error.message,
                      exc_info=error.original_error)

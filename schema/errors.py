"""Typed errors raised by every layer; interfaces map them to GraphQL errors and HTTP statuses."""

from __future__ import annotations


class TraceGraphError(Exception):
    """Base class of every error tracegraph raises on purpose."""

    code = "INTERNAL"
    http_status = 500


class InvalidInput(TraceGraphError):
    """Input broke a rule; the message names the field and the limit."""

    code = "BAD_USER_INPUT"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LimitExceeded(InvalidInput):
    """A size, count or depth limit was exceeded; the message names the limit."""

    code = "LIMIT_EXCEEDED"


class NotFound(TraceGraphError):
    """A trace, step or node does not exist for the caller's tenant."""

    code = "NOT_FOUND"
    http_status = 404


class TraceNotFound(NotFound):
    """No trace with that id exists for the caller's tenant."""


class TraceClosed(TraceGraphError):
    """The trace is completed: its chain is sealed and accepts no more entries."""

    code = "TRACE_CLOSED"
    http_status = 409


class ChainConflict(TraceGraphError):
    """A concurrent append took the sequence number; the caller may retry."""

    code = "CHAIN_CONFLICT"
    http_status = 409


class AlreadyExists(TraceGraphError):
    """An id that must be unique is already taken by a different record."""

    code = "ALREADY_EXISTS"
    http_status = 409


class Forbidden(TraceGraphError):
    """The caller's credentials do not allow this request."""

    code = "FORBIDDEN"
    http_status = 403


class BackendUnavailable(TraceGraphError):
    """The storage backend cannot be reached or its driver is not installed."""

    code = "BACKEND_UNAVAILABLE"
    http_status = 503


class StorageFull(BackendUnavailable):
    """The store's disk is full: nothing more is written until space returns (then it is)."""

    code = "STORAGE_FULL"
    http_status = 507

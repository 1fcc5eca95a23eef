"""Errors as every adapter shows them: typed errors to HTTP statuses and JSON bodies,
validation errors to one message naming each failing field.

The GraphQL adapter (:mod:`.graphql.errors`) and the HTTP routes (bulk ingest, the
middlewares) both format through this module: the same ``code``, ``message`` and
``field`` for the same error, whichever way the request came in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.responses import Response
from tracegraph.schema.errors import InvalidInput, TraceGraphError

#: Failing fields named in one message; the rest are counted.
MAX_REPORTED = 5


def field_path(parts: Sequence[str | int]) -> str:
    """``("steps", 3, "confidence")`` -> ``steps[3].confidence``."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def validation_error(
    exc: ValidationError, where: Sequence[str | int] = (), *,
    rename: Callable[[str], str] | None = None, prefix: str = "", whole: str = "",
) -> InvalidInput:
    """One error naming every failing field path (the first few) and pydantic's reason.

    ``where`` is the path of the validated value; ``rename`` maps pydantic's field names
    (to camelCase, say); ``prefix`` starts the message (``record_steps: ``); ``whole``
    names the value itself when an error has no field path (``line``).
    """
    problems: list[str] = []
    first_path = ""
    errors = exc.errors(include_url=False, include_input=False)
    for err in errors[:MAX_REPORTED]:
        loc = [rename(p) if rename is not None and isinstance(p, str) else p
               for p in err["loc"]]
        path = field_path([*where, *loc])
        first_path = first_path or path
        cause = err.get("ctx", {}).get("error")
        msg = str(cause) if err["type"] == "value_error" and cause is not None else err["msg"]
        problems.append(f"{path or whole}: {msg}")
    if len(errors) > MAX_REPORTED:
        problems.append(f"and {len(errors) - MAX_REPORTED} more")
    return InvalidInput(prefix + "; ".join(problems), field=first_path or None)


def error_fields(error: TraceGraphError) -> dict[str, Any]:
    """``code`` and, when the error names one, ``field``: what clients branch on."""
    fields: dict[str, Any] = {"code": error.code}
    field = getattr(error, "field", None)
    if field:
        fields["field"] = field
    return fields


#: What a 503 answer (the store cannot be reached) asks clients to wait before retrying: the
#: stores wait ~30 s for a restarting database before giving up on a request, so it is
#: likely still coming back.
RETRY_AFTER_SECONDS = "5"


def error_response(error: TraceGraphError, *, status: int | None = None,
                   line: int | None = None, stored: dict[str, int] | None = None) -> Response:
    """``{"error": {"code", "message", "field"?, "line"?}, "stored"?}`` with the error's HTTP
    status (or ``status``); ``line`` names the request line the error is about (bulk
    ingest), ``stored`` what the request stored before it."""
    message = str(error)
    if line is not None and not message.startswith(f"line {line}:"):
        message = f"line {line}: {message}"
    payload: dict[str, Any] = {"code": error.code, "message": message}
    fields = error_fields(error)
    if "field" in fields:
        payload["field"] = fields["field"]
    if line is not None:
        payload["line"] = line
    body: dict[str, Any] = {"error": payload}
    if stored is not None:
        body["stored"] = stored
    code = status or error.http_status
    return Response(orjson.dumps(body), status_code=code, media_type="application/json",
                    headers={"Retry-After": RETRY_AFTER_SECONDS} if code == 503 else None)

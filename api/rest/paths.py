"""The REST interface's paths (kept apart so the HTTP middlewares can name them without
importing the routes)."""

from __future__ import annotations

#: Every agent-run route starts here.
AGENTS_PATH = "/agents"
OPENAPI_PATH = "/openapi.json"
DOCS_PATH = "/docs"
#: Paths that hold no data: the API's description and its page (open without a key).
REST_OPEN_PATHS = frozenset({OPENAPI_PATH, DOCS_PATH})


def is_rest_path(path: str) -> bool:
    """True for the agent-run routes (``/agents`` and below)."""
    return path == AGENTS_PATH or path.startswith(AGENTS_PATH + "/")

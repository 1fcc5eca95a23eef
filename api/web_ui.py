"""The web UI and GraphiQL pages, served from the built assets shipped in the package
(``api/web_assets``, built from ``web/`` by ``npm run build``; no CDN, works offline).

The pages and their scripts hold no data: every record they show comes from the public
GraphQL API with the caller's own key, so they are open like ``/healthz``
(:data:`UI_OPEN_PATHS`, :data:`UI_OPEN_PREFIX`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

WEB_ASSETS = Path(__file__).parent / "web_assets"
UI_PATH = "/"
UI_OPEN_PATHS = frozenset({UI_PATH})
#: Hashed file names: a file's content never changes under its name.
UI_OPEN_PREFIX = "/assets/"
MISSING = ("tracegraph: the web UI was not built into this install "
           "(api/web_assets is missing; run `npm ci && npm run build` in web/)")


@cache
def _page(name: str) -> str | None:
    path = WEB_ASSETS / name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def graphiql_page() -> Response:
    """GraphiQL, bundled with its React and CodeMirror (``web/src/graphiql.ts``)."""
    page = _page("graphiql.html")
    return HTMLResponse(page) if page else PlainTextResponse(MISSING, status_code=404)


async def index(_request: Request) -> Response:
    page = _page("index.html")
    return HTMLResponse(page) if page else PlainTextResponse(MISSING, status_code=404)


class ImmutableAssets(StaticFiles):
    """The built scripts and styles, cached for a year (their names hold their hash)."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def ui_routes() -> list[Route | Mount]:
    """``/`` (the UI) and ``/assets`` (its files)."""
    return [
        Route(UI_PATH, index, methods=["GET"]),
        Mount(UI_OPEN_PREFIX.rstrip("/"),
              ImmutableAssets(directory=WEB_ASSETS / "assets", check_dir=False)),
    ]

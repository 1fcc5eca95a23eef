"""The REST interface's OpenAPI 3.1 document (``/openapi.json``), built from the response
models, and a page describing it (``/docs``: plain HTML rendered on the server, no
scripts, no CDN)."""

from __future__ import annotations

import html
from functools import cache
from typing import Any

import orjson
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from tracegraph.api.service.runs import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, RUN_STATUSES
from tracegraph.schema.ids import ID_PATTERN

from .models import AgentRunList, AgentRunStatus, AgentRunTrace, ErrorBody
from .paths import AGENTS_PATH, DOCS_PATH, OPENAPI_PATH

_REF = "#/components/schemas/{model}"
_ERRORS = {
    "400": "A parameter is not valid; the message names it and its limit.",
    "401": "No valid API key (the server requires keys).",
    "403": "X-Org-Id names another tenant than the API key's, or is not a valid id.",
}
_ORG = {"name": "X-Org-Id", "in": "header", "required": False,
        "description": "The tenant (organization). With API keys it must be the key's "
        "tenant; without keys (local mode) it picks the tenant, default 'default'.",
        "schema": {"type": "string", "pattern": ID_PATTERN}}
_ID = {"name": "id", "in": "path", "required": True, "description": "The agent run id "
       "(a trace id).", "schema": {"type": "string", "pattern": ID_PATTERN}}


def _error_responses(*extra: str) -> dict[str, Any]:
    out = {code: text for code, text in _ERRORS.items()}
    if "404" in extra:
        out["404"] = "The tenant has no agent run of that id."
    return {code: {"description": text, "content": {"application/json": {
        "schema": {"$ref": _REF.format(model="ErrorBody")}}}} for code, text in out.items()}


def _ok(model: str, description: str) -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {
        "schema": {"$ref": _REF.format(model=model)}}}}}


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the REST routes."""
    _, defs = models_json_schema(
        [(m, "serialization") for m in (AgentRunStatus, AgentRunTrace, AgentRunList,
                                         ErrorBody)], ref_template=_REF)
    run_paths = {
        f"{AGENTS_PATH}/{{id}}/trace": {"get": {
            "operationId": "getAgentTrace", "summary": "The complete reasoning trace of a run",
            "description": "The run's iterations (steps recorded as iterations; steps "
            "without metadata.iteration are left out) and metadata about the run.",
            "parameters": [_ID, _ORG],
            "responses": {**_ok("AgentRunTrace", "The run's reasoning trace."),
                          **_error_responses("404")}}},
        f"{AGENTS_PATH}/{{id}}/status": {"get": {
            "operationId": "getAgentStatus", "summary": "A run's status",
            "description": "Status, objective, iteration count, final answer, confidence, "
            "triggered runs and times; the reasoning trace too with include_trace=true.",
            "parameters": [_ID, {"name": "include_trace", "in": "query", "required": False,
                                 "description": "Include reasoning_trace.",
                                 "schema": {"type": "boolean", "default": False}}, _ORG],
            "responses": {**_ok("AgentRunStatus", "The run's status."),
                          **_error_responses("404")}}},
        AGENTS_PATH: {"get": {
            "operationId": "listAgents", "summary": "Agent runs, newest first",
            "description": "Filtered by status (paused: waiting for human input), paged by "
            f"limit (1..{MAX_LIMIT}) and offset (0..{MAX_OFFSET}).",
            "parameters": [
                {"name": "status", "in": "query", "required": False,
                 "schema": {"type": "string", "enum": list(RUN_STATUSES)}},
                {"name": "limit", "in": "query", "required": False, "schema": {
                    "type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT}},
                {"name": "offset", "in": "query", "required": False, "schema": {
                    "type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
                _ORG],
            "responses": {**_ok("AgentRunList", "A page of runs."), **_error_responses()}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "tracegraph REST (seed 003 compatibility)", "version": "1",
                 "description": "Agent runs and their reasoning traces. The same data, "
                 "tenancy and API keys as the GraphQL API at /graphql."},
        "paths": run_paths,
        "components": {"schemas": defs.get("$defs", {}), "securitySchemes": {
            "apiKey": {"type": "http", "scheme": "bearer",
                       "description": "An API key: Authorization: Bearer <key> (required "
                       "once the server has keys; local mode needs none)."}}},
        "security": [{"apiKey": []}, {}],
    }


async def openapi_json(_request: Request) -> Response:
    return Response(orjson.dumps(openapi_document()), media_type="application/json")


@cache
def docs_page() -> str:
    """The document as a page: each operation, its parameters and answers, then the
    schemas."""
    doc = openapi_document()
    esc = html.escape
    parts = [f"<!doctype html><html lang=en><meta charset=utf-8><title>{esc(doc['info']['title'])}"
             "</title><style>body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;"
             "margin:2rem auto;padding:0 1rem}code,pre{background:#f4f4f4;padding:.1em .3em}"
             "pre{padding:.6em;overflow:auto}table{border-collapse:collapse}td,th{border:1px "
             "solid #ccc;padding:.2em .5em;text-align:left}</style>",
             f"<h1>{esc(doc['info']['title'])}</h1><p>{esc(doc['info']['description'])}</p>",
             f'<p>Machine-readable: <a href="{OPENAPI_PATH}">{OPENAPI_PATH}</a> (OpenAPI '
             f"{esc(doc['openapi'])}).</p>"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            parts.append(f"<h2><code>{method.upper()} {esc(path)}</code></h2>"
                         f"<p><b>{esc(op['summary'])}.</b> {esc(op['description'])}</p>"
                         "<table><tr><th>parameter</th><th>in</th><th>schema</th>"
                         "<th>description</th></tr>")
            for p in op["parameters"]:
                parts.append(f"<tr><td><code>{esc(p['name'])}</code></td><td>{esc(p['in'])}"
                             f"</td><td><code>{esc(orjson.dumps(p['schema']).decode())}</code>"
                             f"</td><td>{esc(p.get('description', ''))}</td></tr>")
            parts.append("</table><ul>")
            for code, answer in op["responses"].items():
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                name = ref.rsplit("/", 1)[-1]
                parts.append(f"<li>{esc(code)}: {esc(answer['description'])} "
                             f'<a href="#{esc(name)}">{esc(name)}</a></li>')
            parts.append("</ul>")
    parts.append("<h2>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        text = orjson.dumps(schema, option=orjson.OPT_INDENT_2).decode()
        parts.append(f'<h3 id="{esc(name)}">{esc(name)}</h3><pre>{esc(text)}</pre>')
    return "".join(parts)


async def docs(_request: Request) -> Response:
    return HTMLResponse(docs_page())


def openapi_routes() -> list[Route]:
    """``/openapi.json`` and ``/docs``."""
    return [Route(OPENAPI_PATH, openapi_json, methods=["GET"]),
            Route(DOCS_PATH, docs, methods=["GET"])]

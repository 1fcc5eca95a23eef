"""``tracegraph ingest FILE``: load a file of bulk NDJSON operations or OTLP JSON export
requests, through the service layer on the configured backend or over HTTP to a server.

The format is detected from the first line (an object with ``"op"``: bulk NDJSON, see
:mod:`.bulk`; with ``"resourceSpans"``: OTLP JSON, one export request per line as the
OpenTelemetry Collector's file exporter writes, or one pretty-printed request per file);
``--format`` forces it. NDJSON is validated whole before anything is stored (an error names
the line and the field); OTLP JSON requests are ingested one by one.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import orjson
from tracegraph.schema.errors import InvalidInput, TraceGraphError

from . import bulk
from .cli_options import echo_json, errors_as_click, open_backend, store_options
from .otlp import OtlpIngestor, decode_json
from .otlp.http import OTLP_TRACES_PATH

NDJSON = "ndjson"
OTLP_JSON = "otlp-json"
#: Bulk lines sent per HTTP request with ``--url``.
LINES_PER_REQUEST = 1000


def detect_format(text: bytes) -> str:
    """``ndjson`` or ``otlp-json`` from the file's first JSON value."""
    first = next((line for line in text.splitlines() if line.strip()), b"")
    try:
        doc = orjson.loads(first)
    except orjson.JSONDecodeError:
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"line 1: not valid JSON ({exc})", field="FILE") from None
    if isinstance(doc, dict) and "op" in doc:
        return NDJSON
    if isinstance(doc, dict) and ("resourceSpans" in doc or "resource_spans" in doc):
        return OTLP_JSON
    raise InvalidInput("line 1: neither a bulk operation (\"op\") nor an OTLP export request "
                       "(\"resourceSpans\"); use --format", field="FILE")


def otlp_requests(text: bytes) -> Iterator[tuple[int, bytes]]:
    """(line number, body) of each OTLP JSON request: one per line, or the whole file."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    try:
        orjson.loads(lines[0][1]) if lines else None
    except orjson.JSONDecodeError:
        yield 1, text  # one pretty-printed request
        return
    yield from lines


def _post(url: str, path: str, body: bytes, ctype: str, api_key: str | None,
          tenant: str) -> dict[str, Any]:
    headers = {"Content-Type": ctype, "X-Org-Id": tenant}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    req = urllib.request.Request(url.rstrip("/") + path, data=body, headers=headers,
                                 method="POST")
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            answer: dict[str, Any] = orjson.loads(resp.read() or b"{}")
            return answer
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"{url}{path}: HTTP {exc.code}: "
                                   f"{exc.read().decode(errors='replace')[:500]}") from None
    except urllib.error.URLError as exc:
        raise click.ClickException(f"{url}: {exc.reason}") from None


def _ingest_ndjson(text: bytes, send: Callable[[list[bulk.Operation], list[bytes]], int],
                   bar: Any) -> dict[str, Any]:
    raw = [(n, line) for n, line in enumerate(text.split(b"\n"), start=1) if line.strip()]
    ops = [bulk.parse_line(n, line) for n, line in raw]  # all validated first
    total = 0
    for i in range(0, len(ops), LINES_PER_REQUEST):
        chunk = ops[i:i + LINES_PER_REQUEST]
        total += send(chunk, [line for _, line in raw[i:i + LINES_PER_REQUEST]])
        bar.update(len(chunk))
    return {"format": NDJSON, "lines": total}


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice([NDJSON, OTLP_JSON]), default=None,
              help="File format [default: detected from the first line].")
@click.option("--tenant", default="default", show_default=True,
              help="Tenant to store in (local mode; with --url and an API key the key's).")
@click.option("--url", default=None, help="Send to this tracegraph server instead of opening "
              "the backend, e.g. http://127.0.0.1:8000.")
@click.option("--api-key", default=None, envvar="TRACEGRAPH_API_KEY",
              help="API key for --url (Authorization: Bearer).")
@store_options
@errors_as_click
def ingest(file: Path, fmt: str | None, tenant: str, url: str | None, api_key: str | None,
           backend: str, data_dir: Path | None, neo4j_uri: str | None,
           neo4j_user: str | None, neo4j_password: str | None, neo4j_database: str | None,
           dgraph_addr: str | None) -> None:
    """Ingest FILE: bulk NDJSON operations or OTLP JSON export requests, with a progress
    bar; prints what was stored as JSON."""
    text = file.read_bytes()
    fmt = fmt or detect_format(text)
    service = None
    if url is None:
        service, _ = open_backend(backend, data_dir, neo4j_uri, dgraph_addr, neo4j_user,
                                  neo4j_password, neo4j_database)
    try:
        if fmt == NDJSON:
            def send(ops: list[bulk.Operation], lines: list[bytes]) -> int:
                if service is None:
                    assert url is not None
                    return int(_post(url, bulk.BULK_PATH, b"\n".join(lines),
                                     "application/x-ndjson", api_key, tenant)["lines"])
                try:
                    return bulk.run(service, tenant, ops, {}).lines
                except bulk.BulkRunError as exc:
                    raise InvalidInput(f"line {exc.op.line}: {exc.error}") from None

            count = sum(1 for line in text.split(b"\n") if line.strip())
            with click.progressbar(length=count, label="lines", file=sys.stderr) as bar:
                summary = _ingest_ndjson(text, send, bar)
        else:
            requests = list(otlp_requests(text))
            ingestor = OtlpIngestor(service) if service is not None else None
            spans = rejected = 0
            with click.progressbar(requests, label="requests",
                                   file=sys.stderr) as requests_bar:
                for number, body in requests_bar:
                    try:
                        if ingestor is None:
                            assert url is not None
                            answer = _post(url, OTLP_TRACES_PATH, body, "application/json",
                                           api_key, tenant)
                            rejected += int(answer.get("partialSuccess", {})
                                            .get("rejectedSpans", 0))
                            continue
                        decoded = decode_json(body)
                        spans += len(decoded)
                        rejected += ingestor.ingest(tenant, decoded).rejected_count
                    except TraceGraphError as exc:
                        raise InvalidInput(f"line {number}: {exc}") from None
            summary = {"format": OTLP_JSON, "requests": len(requests), "rejectedSpans": rejected}
            if ingestor is not None:
                summary |= {"spans": spans, "pendingSpans": ingestor.pending_count()}
    finally:
        if service is not None:
            service.close()
    echo_json(summary)

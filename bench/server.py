"""A tracegraph server for the benchmarks, in its own process (the client gets the other core).

    python -m tracegraph.bench.server --port 8765 --data-dir /tmp/store [--backend neo4j ...]

The same app ``tracegraph serve`` runs (GraphQL and the bulk route), without access logs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import uvicorn
from tracegraph.api.app import create_app
from tracegraph.api.gc_tuning import tune_for_serving
from tracegraph.api.service import BACKEND_NAMES, open_service


@click.command(help=__doc__.split("\n")[0] if __doc__ else None)
@click.option("--port", type=click.IntRange(0, 65535), required=True)
@click.option("--backend", type=click.Choice(BACKEND_NAMES), default="embedded")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
# --uri and --addr: the store options' names, as measure.Server passes them
@click.option("--neo4j-uri", "--uri", "neo4j_uri", default=None)
@click.option("--dgraph-addr", "--addr", "dgraph_addr", default=None)
def main(port: int, backend: str, data_dir: Path | None, neo4j_uri: str | None,
         dgraph_addr: str | None) -> None:
    options: dict[str, Any] = {}
    if backend == "embedded":
        options["data_dir"] = data_dir
    elif backend == "neo4j" and neo4j_uri:
        options["uri"] = neo4j_uri
    elif backend == "dgraph" and dgraph_addr:
        options["addr"] = dgraph_addr
    service = open_service(backend, **options)
    try:
        app = create_app(service)
        tune_for_serving()  # as `tracegraph serve` does
        uvicorn.run(app, host="127.0.0.1", port=port,
                    log_level="warning", access_log=False, lifespan="off")
    finally:
        service.close()


if __name__ == "__main__":
    main()

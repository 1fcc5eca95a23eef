"""A tracegraph server for the benchmarks, in its own process (the client gets the other core).

    python -m tracegraph.bench.server --port 8765 --data-dir /tmp/store [--backend neo4j ...]

The same app ``tracegraph serve`` runs (GraphQL and the bulk route), without access logs.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from tracegraph.api.app import create_app
from tracegraph.api.service import TraceService
from tracegraph.graph.registry import open_store


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", default="embedded")
    parser.add_argument("--data-dir", default=None)
    # --uri and --addr: the store options' names, as measure.Server passes them
    parser.add_argument("--neo4j-uri", "--uri", dest="neo4j_uri", default=None)
    parser.add_argument("--dgraph-addr", "--addr", dest="dgraph_addr", default=None)
    args = parser.parse_args(argv)
    options: dict[str, Any] = {}
    if args.backend == "embedded":
        options["data_dir"] = args.data_dir
    elif args.backend == "neo4j" and args.neo4j_uri:
        options["uri"] = args.neo4j_uri
    elif args.backend == "dgraph" and args.dgraph_addr:
        options["addr"] = args.dgraph_addr
    store = open_store(args.backend, **options)
    try:
        uvicorn.run(create_app(TraceService(store)), host="127.0.0.1", port=args.port,
                    log_level="warning", access_log=False, lifespan="off")
    finally:
        store.close()


if __name__ == "__main__":
    main()

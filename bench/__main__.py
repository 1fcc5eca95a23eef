"""``python -m tracegraph.bench``: the benchmark suite with a plain progress log."""

from tracegraph.bench.suite import main

main()

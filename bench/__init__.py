"""tracegraph's benchmark suite: ingest, fetch, verification, memory, disk, reopen and scale.

Run it with ``tracegraph bench`` (a progress bar, then the table) or
``python -m tracegraph.bench``; ``bench/README`` in the repository's README "Performance"
section shows the latest figures. These are measuring scripts, not timed tests.
"""

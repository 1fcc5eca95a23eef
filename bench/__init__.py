"""tracegraph's benchmark suite: ingest, fetch, verification, memory, disk, reopen and scale.

Run it with ``tracegraph bench`` (a progress bar, then the table) or
``python -m tracegraph.bench``; docs/performance.md shows the latest figures and what
each one measures. These are measuring scripts, not timed tests.
"""

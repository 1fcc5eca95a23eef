"""``python -m tracegraph.bench``: the same command as ``tracegraph bench``."""

from tracegraph.bench.cli import bench

bench()

"""Garbage-collector settings for a long-running server process (``tracegraph serve``).

A server keeps many long-lived objects: the GraphQL schema, the modules, and the embedded
store's decoded entries, which it reuses across requests. CPython's default thresholds
(700, 10, 10) make a full collection walk all of them every time enough new containers
survived, and that walk lands inside whichever request happens to be running: on a
10k-step store it was 63 ms of the first fetch of a 700-step run (85 ms in all, 22 ms of
which is the fetch itself; ``docs/performance.md``). Freezing what startup built moves it
out of every later collection, and a larger first threshold lets the short-lived objects of
one request die young in bulk. Reference cycles are still collected, later and in fewer
passes. Only server entry points call this; a library never changes its host's collector.
"""

from __future__ import annotations

import gc

#: Allocations between young collections (CPython's default is 700), then its 10 and 10.
THRESHOLDS = (50_000, 20, 10)


def tune_for_serving() -> None:
    """Collect once, freeze what startup built, and raise the young-generation threshold."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)

"""Fault scripts: kill, restart, fill and overload a tracegraph server, and check what survived.

Each is runnable as ``python -m tracegraph.bench.faults.<name>`` and prints its figures
(see docs/faults.md): ``kill_embedded``, ``kill_backends``, ``writers``, ``disk``, ``load``.
"""

"""Trace data model, canonical JSON, hash chain, Merkle log, checkpoints, audit bundles and input
limits for tracegraph."""

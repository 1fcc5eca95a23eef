"""Trace data model, canonical JSON, hash chain and input limits for tracegraph."""

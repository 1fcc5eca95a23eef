"""The embedders: the numpy MiniLM against sentence-transformers' vectors, and the
OpenAI-compatible endpoint embedder against a real HTTP server started here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tracegraph.api.embedding import Embedder, EndpointEmbedder, MiniLMEmbedder
from tracegraph.schema.errors import BackendUnavailable

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "semantic" / "minilm_reference.json"


def test_minilm_matches_sentence_transformers(minilm: MiniLMEmbedder) -> None:
    ref = json.loads(REFERENCE.read_text())
    got = minilm.embed(ref["texts"])
    want = np.asarray(ref["vectors"], dtype=np.float32)
    assert got.shape == want.shape == (len(ref["texts"]), 384)
    assert np.abs(got - want).max() < 1e-5  # (an empty text and a truncated one included)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert isinstance(minilm, Embedder)


def test_minilm_order_and_batching_do_not_change_a_vector(minilm: MiniLMEmbedder) -> None:
    texts = [f"the agent retried the payment call {i} times" * (i % 5 + 1) for i in range(40)]
    together = minilm.embed(texts)
    alone = np.vstack([minilm.embed([t]) for t in texts[:5]])
    assert np.abs(together[:5] - alone).max() < 1e-5
    assert minilm.embed([]).shape == (0, 384)


def test_minilm_ranks_a_paraphrase_above_an_unrelated_text(minilm: MiniLMEmbedder) -> None:
    q, near, far = minilm.embed(["decide the price discount for the customer",
                                 "Decision: give the client a 15% price reduction",
                                 "The database connection timed out after 30 seconds"])
    assert float(q @ near) > float(q @ far) + 0.2


class _Stub(BaseHTTPRequestHandler):
    """An OpenAI-style ``/v1/embeddings``: a vector from each text's length and first byte,
    answered in reverse order (clients must sort by ``index``)."""

    requests: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Stub.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                               "body": body})
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            return
        data = [{"object": "embedding", "index": i,
                 "embedding": [float(len(t)), float(ord(t[0]) if t else 0), 0.0, 2.0]}
                for i, t in enumerate(body["input"])]
        raw = json.dumps({"object": "list", "data": data[::-1], "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Stub.requests.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_endpoint_embedder_posts_batches_and_keeps_the_order(stub: str) -> None:
    e = EndpointEmbedder(stub, "text-embedding-3-small", 4, api_key="sk-test")
    texts = [f"t{'x' * i}" for i in range(150)]
    got = e.embed(texts)
    assert got.shape == (150, 4)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)
    expected = np.asarray([[len(t), ord(t[0]), 0.0, 2.0] for t in texts], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.abs(got - expected).max() < 1e-6
    assert [len(r["body"]["input"]) for r in _Stub.requests] == [64, 64, 22]
    assert {r["path"] for r in _Stub.requests} == {"/v1/embeddings"}
    assert {r["auth"] for r in _Stub.requests} == {"Bearer sk-test"}
    assert isinstance(e, Embedder)
    e.close()


def test_endpoint_embedder_reports_a_failing_or_mismatched_server(stub: str) -> None:
    with pytest.raises(BackendUnavailable, match="endpoint:broken"):
        EndpointEmbedder(stub, "broken", 4).embed(["a"])
    with pytest.raises(BackendUnavailable, match="expected 1 vectors of 8 values"):
        EndpointEmbedder(stub, "m", 8).embed(["a"])

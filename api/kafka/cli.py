"""``tracegraph serve``'s Kafka options: publish every appended entry to a topic.

Off unless ``--kafka-bootstrap`` (``TRACEGRAPH_KAFKA_BOOTSTRAP``) is given; confluent-kafka
is imported only then (the ``kafka`` extra). See docs/kafka.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from tracegraph.schema.errors import InvalidInput

from ..service import TraceService

if TYPE_CHECKING:
    from .sink import KafkaSink

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_TOPIC = "tracegraph.entries"
KEYS = ("kafka_bootstrap", "kafka_topic", "kafka_buffer", "kafka_message_timeout",
        "kafka_tenants", "kafka_options")


def kafka_options(fn: F) -> F:
    """The options below, passed to the command as one ``kafka`` dict."""
    options = [
        click.option("--kafka-bootstrap", default=None, metavar="HOST:PORT[,...]",
                     envvar="TRACEGRAPH_KAFKA_BOOTSTRAP", help="Publish every appended "
                     "entry to Kafka through these brokers [default: no Kafka stream]."),
        click.option("--kafka-topic", default=DEFAULT_TOPIC, show_default=True,
                     envvar="TRACEGRAPH_KAFKA_TOPIC", help="The topic entries go to "
                     "(key: trace id; header tracegraph-tenant)."),
        click.option("--kafka-buffer", type=click.IntRange(min=1), default=10_000,
                     show_default=True, envvar="TRACEGRAPH_KAFKA_BUFFER",
                     help="Messages in flight to the broker at most; the rest waits in the "
                     "store and is published when the broker takes it."),
        click.option("--kafka-message-timeout", type=click.IntRange(min=1), default=120,
                     show_default=True, metavar="SECONDS",
                     envvar="TRACEGRAPH_KAFKA_MESSAGE_TIMEOUT", help="How long the client "
                     "retries a message before the sink sends it again from the store."),
        click.option("--kafka-tenant", "kafka_tenants", multiple=True, metavar="TENANT",
                     envvar="TRACEGRAPH_KAFKA_TENANTS", help="Publish only this tenant's "
                     "entries (repeat for more; the environment variable takes them "
                     "space-separated) [default: every tenant's]."),
        click.option("--kafka-option", "kafka_options", multiple=True, metavar="NAME=VALUE",
                     envvar="TRACEGRAPH_KAFKA_OPTIONS", help="A librdkafka producer setting "
                     "(e.g. security.protocol=SSL; repeat for more; the environment variable "
                     "takes them space-separated)."),
    ]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["kafka"] = {k: kwargs.pop(k) for k in KEYS}
        return fn(*args, **kwargs)

    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def client_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` pairs as a dict; a pair without ``=`` is an error naming it."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--kafka-option: {pair!r} is not NAME=VALUE",
                               field="kafka-option")
        settings[name.strip()] = value.strip()
    return settings


def start_kafka(service: TraceService, kafka: dict[str, Any]) -> KafkaSink | None:
    """The started sink the options ask for (None without ``--kafka-bootstrap``)."""
    if not kafka["kafka_bootstrap"]:
        return None
    try:
        from .sink import KafkaSink, KafkaSinkConfig
    except ImportError as exc:
        raise click.UsageError("--kafka-bootstrap needs confluent-kafka: "
                               "pip install 'tracegraph[kafka]'") from exc
    config = KafkaSinkConfig(
        bootstrap=kafka["kafka_bootstrap"], topic=kafka["kafka_topic"],
        buffer=kafka["kafka_buffer"], message_timeout_ms=kafka["kafka_message_timeout"] * 1000,
        tenants=frozenset(kafka["kafka_tenants"]),
        client=client_settings(kafka["kafka_options"]))
    from confluent_kafka import KafkaException

    try:
        sink = KafkaSink(service, config)
    except KafkaException as exc:  # a bad --kafka-option
        raise click.UsageError(f"--kafka-option: {exc.args[0].str()}") from exc
    sink.start()
    return sink

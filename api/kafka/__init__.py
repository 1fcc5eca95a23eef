"""The Kafka stream (seed 002): appended entries published to a topic by ``tracegraph serve``
(``--kafka-bootstrap``, ``--kafka-topic``). Needs the ``kafka`` extra (confluent-kafka);
docs/kafka.md."""

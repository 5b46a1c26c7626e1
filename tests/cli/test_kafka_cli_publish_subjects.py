"""`eventflow kafka publish --value-subject`: a nested Protobuf message chosen by name,
refusals that name the field and the reason, CloudEvents options refused rather than
dropped, a string key typed as a number, a timestamp without a zone read as UTC on a
machine in New York. Against the real test broker and the tests' registry; what was sent
is read back with confluent-kafka's own deserializers."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema as ConfluentSchema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.adapters.test_schema_registry import shipped_class
from tests.cli.entry_point import eventflow

ORDER = {
    "type": "record",
    "name": "OrderPlaced",
    "namespace": "com.acme",
    "fields": [
        {"name": "orderId", "type": "string"},
        {"name": "correlationId", "type": "string"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 9, "scale": 2}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}  # fmt: skip
GOOD = {"orderId": "o-1", "correlationId": "c-1", "amount": "12.50", "at": "2026-12-06 10:00"}


def records_of(bootstrap: str, topic: str, seconds: float = 2.0) -> list[Any]:
    """Every record of ``topic`` (one partition), read with confluent-kafka."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "cli-publish-check",
                         "enable.auto.commit": False})  # fmt: skip
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        out = []
        while (msg := consumer.poll(seconds)) is not None:
            if msg.error() is None:
                out.append(msg)
        return out
    finally:
        consumer.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # The machine's zone is New York: a timestamp without a zone must still be UTC.
    return {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config"),
            "TZ": "America/New_York"}  # fmt: skip


def refused(env: dict[str, str], *args: str) -> str:
    proc = eventflow(env, *args, check=False)
    assert proc.returncode == 1, proc.stdout
    assert proc.stderr.rstrip().endswith("Nothing was sent."), proc.stderr
    return proc.stderr.removeprefix("eventflow: ").strip()


def test_a_nested_protobuf_message_is_published_by_name_as_the_serializer_writes_it(
    broker: TansuBroker, env: dict[str, str]
) -> None:
    topic = "cli-publish-shipped"
    asyncio.run(create_topic(broker.bootstrap, topic))
    Shipped = shipped_class()  # acme.Envelope.Shipped: message index [0, 0]
    ctx = SerializationContext(topic, MessageField.VALUE)
    with SchemaRegistryServer() as registry:
        sr = SchemaRegistryClient({"url": registry.url})
        serializer = ProtobufSerializer(Shipped, sr, {"use.deprecated.format": False})
        msg = Shipped(order_id="o-1", correlation_id="c-1")
        msg.at.FromJsonString("2026-12-06T10:00:00.250Z")
        theirs = serializer(msg, ctx)  # registers topic-value, as a producer would
        base = ("kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", topic,
                "--schema-registry", registry.url, "--value-subject", f"{topic}-value",
                "--data", json.dumps({"orderId": "o-1", "correlationId": "c-1",
                                      "at": "2026-12-06T10:00:00.250Z"}))  # fmt: skip

        # No message named: the first (acme.Envelope), which the data does not fit. Not
        # guessed: the refusal says which message it fits and how to choose it.
        assert refused(env, *base) == (
            f"The payload does not fit {topic}-value version 1 (acme.Envelope): orderId is "
            "not a field of acme.Envelope. It fits acme.Envelope.Shipped: pass "
            "--value-message acme.Envelope.Shipped. Nothing was sent."
        )
        assert refused(env, *base, "--value-message", "Shiped") == (
            f"{topic}-value version 1: the schema has no message Shiped; its messages: "
            "acme.Envelope, acme.Envelope.Shipped. Nothing was sent."
        )
        sent = eventflow(env, *base, "--value-message", "Shipped", "--json")
        assert json.loads(sent.stdout)["message"] == "acme.Envelope.Shipped"
        said = eventflow(env, *base, "--value-message", "acme.Envelope.Shipped").stdout
        assert said.startswith(
            f"Published a Protobuf record (acme.Envelope.Shipped, {topic}-value version 1, "
            "schema id "
        )
        first, second = records_of(broker.bootstrap, topic)
        read = ProtobufDeserializer(Shipped, {"use.deprecated.format": False})(first.value(), ctx)
    assert first.value() == second.value() == theirs  # byte for byte the serializer's record
    assert read.order_id == "o-1" and read.at.ToJsonString() == "2026-12-06T10:00:00.250Z"


def test_avro_refusals_name_the_field_and_cloudevents_options_are_refused(
    broker: TansuBroker, env: dict[str, str]
) -> None:
    topic = "cli-publish-orders"
    asyncio.run(create_topic(broker.bootstrap, topic))
    with SchemaRegistryServer() as registry:
        sr = SchemaRegistryClient({"url": registry.url})
        value_id = sr.register_schema(f"{topic}-value", ConfluentSchema(json.dumps(ORDER), "AVRO"))
        sr.register_schema(f"{topic}-key", ConfluentSchema('"string"', "AVRO"))
        base = ("kafka", "publish", "--bootstrap", broker.bootstrap, "--topic", topic,
                "--schema-registry", registry.url, "--value-subject", f"{topic}-value")  # fmt: skip

        def data(**changes: Any) -> tuple[str, str]:
            d = {**GOOD, **changes}
            return "--data", json.dumps({k: v for k, v in d.items() if v is not ...})

        fits = f"The payload does not fit {topic}-value version 1: "
        assert refused(env, *base, *data(correlationId=...)) == (
            f"{fits}correlationId is missing, and com.acme.OrderPlaced requires it. "
            "Nothing was sent."
        )
        assert refused(env, *base, *data(orderId=5)) == (
            f"{fits}orderId: 5 is a number; the schema wants a string. Nothing was sent."
        )
        assert refused(env, *base, *data(amount="1.505")) == (
            f"{fits}amount: 1.505 has 3 decimal places; the schema allows 2. Nothing was sent."
        )
        assert refused(env, *base, *data(amount=1.5)) == (
            f'{fits}amount: 1.5 is a JSON number; write a decimal as text, e.g. "1.5", so '
            "that it is exact. Nothing was sent."
        )
        assert refused(env, *base, *data(bogus=1)) == (
            f"{fits}bogus is not a field of com.acme.OrderPlaced. Nothing was sent."
        )
        ce = refused(env, *base, *data(), "--type", "OrderPlaced", "--correlation-id", "c-9")
        assert ce == (
            "--type and --correlation-id are CloudEvents options, and a record encoded with "
            "--value-subject carries no CloudEvents attributes (put a correlation or "
            "causation id in the payload's own field instead): leave them out. Nothing was sent."
        )
        no_data = refused(env, *base)
        assert no_data.startswith("Give the payload to encode with ") and "--data JSON" in no_data
        for option in ("--source", "--subject"):
            said = refused(env, *base, *data(), option, "x")
            assert said.startswith(f"{option} is a CloudEvents option")
            assert "payload's own field" not in said  # only ids belong in the payload
        nope = refused(env, *base[:-1], "shop.nope-value", *data())
        assert nope.startswith(
            "Subject shop.nope-value (the latest version) was not found in the registry"
        )
        assert refused(env, *base, "--value-version", "9", *data()).startswith(
            f"Subject {topic}-value version 9 was not found in the registry"
        )

        assert refused(env, *base, "--data", "{bad").startswith("The payload is not valid JSON")
        elsewhere = tuple("cli-publish-none" if a == topic else a for a in base)
        assert refused(env, *elsewhere, *data()).startswith(
            "Topic cli-publish-none does not exist on "
        )

        # A string key typed as a number is the text "123"; the record goes out once.
        keyed = ("--key", "123", "--key-subject", f"{topic}-key")
        said = eventflow(env, *base, *data(), *keyed).stdout
        assert said == (
            f"Published an Avro record (com.acme.OrderPlaced, {topic}-value version 1, "
            f"schema id {value_id}; key "
            f"{topic}-key version 1) to {topic}[0]@0.\n"
        )
        (record,) = records_of(broker.bootstrap, topic)  # none of the refused went out
        value_ctx = SerializationContext(topic, MessageField.VALUE)
        key_ctx = SerializationContext(topic, MessageField.KEY)
        read = AvroDeserializer(sr)(record.value(), value_ctx)
        key = AvroDeserializer(sr)(record.key(), key_ctx)
    assert key == "123"
    assert str(read["amount"]) == "12.50"
    # "2026-12-06 10:00" had no zone: UTC, though the publishing machine was in New York.
    assert read["at"] == dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)

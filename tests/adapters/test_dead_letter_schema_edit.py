"""A schema-encoded dead letter, edited and replayed, on the real broker and the tests'
registry: the record written by Confluent's own serializers is dead-lettered as Spring
does it, tailed with the registry, edited through the dead-letter service and replayed;
Confluent's own deserializers then read the replayed record with the same schema id, the
same message, and the edited data. An edit that does not fit is refused naming the field;
without a registry the edit is refused saying what to do."""

from __future__ import annotations

import asyncio
import decimal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.replay import replay_to_kafka
from adapters.kafka.tail import KafkaTail, StartPosition
from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.core.dead_letter_service import DeadLetterService, Destination
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.formats.schemas import SchemaSource
from monitor.core.raw_record import EditRefused
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.adapters.test_dead_letter_round_trip import dead_letter_it, raw_records, spring_headers
from tests.adapters.test_schema_registry import ORDER_AVSC, shipped_class


@pytest.fixture
def registry() -> Iterator[SchemaRegistryServer]:
    with SchemaRegistryServer() as server:
        yield server


async def tailed_letter(profile: ConnectionProfile, dlt: str, schemas: SchemaSource) -> DeadLetter:
    letters: list[DeadLetter] = []
    tail = KafkaTail(
        profile,
        [dlt],
        sink=lambda _events: None,
        dead_letter_sink=letters.append,
        start=StartPosition("beginning"),
        schemas=schemas,
    )
    await tail.run(max_records=1, duration=30)
    (letter,) = letters
    return letter


def edited(letter: DeadLetter, **data: Any) -> Envelope:
    event = letter.event
    return Envelope.from_dict({**event.to_dict(), "data": {**event.data, **data}})


async def edit_and_replay(
    profile: ConnectionProfile,
    log: EventLog,
    letter: DeadLetter,
    schemas: SchemaSource,
    change: dict[str, Any],
    bad: dict[str, Any],
) -> tuple[Any, str]:
    """Refuse ``bad``, save ``change``, replay; the replayed record and the refusal."""
    service = DeadLetterService(log)
    here = Destination("kafka", profile.bootstrap_servers)  # the letter's own cluster
    with pytest.raises(EditRefused) as refused:
        await service.edit(letter.id, edited(letter, **bad), schemas, here)
    await service.edit(letter.id, edited(letter, **change), schemas, here)
    stored = log.dead_letter(letter.id)
    async with KafkaPublisher(profile) as publisher:
        [outcome] = await replay_to_kafka(publisher, log, [stored])
    assert outcome.status == "replayed", outcome.detail
    [record] = await raw_records(profile.bootstrap_servers, letter.original_topic or "", 1)
    return record, str(refused.value)


async def dead_lettered(
    profile: ConnectionProfile, topic: str, value: bytes, key: bytes | None, partition: int
) -> None:
    """``value`` on ``topic``'s DLT, with Spring's headers saying it failed on ``topic``."""
    await create_topic(profile.bootstrap_servers, topic)
    await create_topic(profile.bootstrap_servers, f"{topic}.DLT")
    await dead_letter_it(
        profile.bootstrap_servers, f"{topic}.DLT", value, key, spring_headers(topic, partition)
    )


def edited_round_trip(
    profile: ConnectionProfile,
    topic: str,
    value: bytes,
    key: bytes | None,
    registry: SchemaRegistryServer,
    tmp_path: Path,
    change: dict[str, Any],
    bad: dict[str, Any],
) -> tuple[DeadLetter, Any, str, list[str]]:
    """``value`` dead-lettered, tailed with the registry, refused ``bad``, edited with
    ``change`` and replayed: (the letter as tailed, the replayed record, the refusal, the
    letter's actions)."""

    async def scenario() -> tuple[DeadLetter, Any, str, list[str]]:
        await dead_lettered(profile, topic, value, key, 3)
        client = RegistryClient(RegistrySettings(registry.url))
        try:
            letter = await tailed_letter(profile, f"{topic}.DLT", client)
            with EventLog(tmp_path / "log.db") as log:
                log.add_dead_letters([letter])
                record, refusal = await edit_and_replay(
                    profile, log, letter, client, change=change, bad=bad
                )
                actions = [a.action for a in log.actions(letter.id)]
            return letter, record, refusal, actions
        finally:
            client.close()

    return asyncio.run(scenario())


def test_an_avro_dead_letter_edited_and_replayed_has_the_same_schema_id_and_the_edit(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer, tmp_path: Path
) -> None:
    topic = topic_name
    sr = SchemaRegistryClient({"url": registry.url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    order = {
        "orderId": "o-1",
        "correlationId": "c-1",
        "amount": decimal.Decimal("12.50"),
        "at": 1796551200123,
    }
    value = AvroSerializer(sr, ORDER_AVSC)(order, ctx)
    letter, record, refusal, actions = edited_round_trip(
        profile,
        topic,
        value,
        b"o-1",
        registry,
        tmp_path,
        change={"amount": "13.75", "at": "2026-12-07T08:00:00.500Z"},
        bad={"amount": "twelve"},
    )
    assert letter.event.format == "avro", letter.event.error
    assert actions[:1] == ["edit"]
    assert "does not fit" in refusal and "amount: 'twelve' is not a decimal" in refusal
    assert record.value[:5] == value[:5]  # magic byte and the same schema id
    assert record.key == b"o-1"
    read = AvroDeserializer(sr)(record.value, ctx)
    assert read["amount"] == decimal.Decimal("13.75") and read["orderId"] == "o-1"
    assert read["at"].isoformat() == "2026-12-07T08:00:00.500000+00:00"


def test_a_nested_protobuf_dead_letter_edited_and_replayed_keeps_its_message(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer, tmp_path: Path
) -> None:
    topic = topic_name
    sr = SchemaRegistryClient({"url": registry.url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    Shipped = shipped_class()  # acme.Envelope.Shipped: message index [0, 0]
    msg = Shipped(order_id="o-1", correlation_id="c-1")
    msg.at.FromJsonString("2026-12-06T10:00:00.250Z")
    value = ProtobufSerializer(Shipped, sr, {"use.deprecated.format": False})(msg, ctx)
    letter, record, refusal, _ = edited_round_trip(
        profile,
        topic,
        value,
        None,
        registry,
        tmp_path,
        change={"orderId": "o-2", "at": "2026-12-07T09:30:00Z"},
        bad={"at": "yesterday"},
    )
    assert letter.event.type == "acme.Envelope.Shipped", letter.event.error
    assert "does not fit" in refusal and "at: 'yesterday' is not a time" in refusal, refusal
    # The v0 prefix with the same id, then the same message-index list ([0, 0]).
    assert record.value[:8] == value[:8] and value[5:8] == b"\x04\x00\x00"
    read = ProtobufDeserializer(Shipped, {"use.deprecated.format": False})(record.value, ctx)
    assert read.order_id == "o-2" and read.correlation_id == "c-1"
    assert read.at.ToJsonString() == "2026-12-07T09:30:00Z"


def test_without_a_registry_a_schema_encoded_edit_is_refused_saying_what_to_do(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer, tmp_path: Path
) -> None:
    topic, dlt = topic_name, f"{topic_name}.DLT"
    sr = SchemaRegistryClient({"url": registry.url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    value = AvroSerializer(sr, ORDER_AVSC)(
        {"orderId": "o-1", "correlationId": "c-1", "amount": decimal.Decimal("1.00"), "at": 0},
        ctx,
    )

    async def scenario() -> tuple[str, DeadLetter, DeadLetter]:
        await dead_lettered(profile, topic, value, None, 5)
        client = RegistryClient(RegistrySettings(registry.url))
        try:
            letter = await tailed_letter(profile, dlt, client)
        finally:
            client.close()
        with EventLog(tmp_path / "log.db") as log:
            log.add_dead_letters([letter])
            with pytest.raises(EditRefused) as refused:
                await DeadLetterService(log).edit(letter.id, edited(letter, orderId="o-2"), None)
            # A registry at hand, but another cluster's: the schema id means nothing there.
            client = RegistryClient(RegistrySettings(registry.url))
            try:
                with pytest.raises(EditRefused) as elsewhere:
                    await DeadLetterService(log).edit(
                        letter.id,
                        edited(letter, orderId="o-2"),
                        client,
                        Destination("kafka", "other-cluster:9092"),
                    )
            finally:
                client.close()
            return f"{refused.value}\n{elsewhere.value}", letter, log.dead_letter(letter.id)

    refusals, letter, stored = asyncio.run(scenario())
    refusal, elsewhere = refusals.split("\n")
    assert "schema registry" in refusal and "replay the letter as it is" in refusal
    assert f"came from Kafka ({profile.bootstrap_servers})" in elsewhere
    assert "not from Kafka (other-cluster:9092)" in elsewhere
    assert "Connect to that cluster to edit the payload" in elsewhere
    assert stored.record == letter.record and stored.event.data["orderId"] == "o-1"

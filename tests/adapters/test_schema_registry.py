"""Schema-encoded records written by Confluent's own serializers, through a registry of
our own that they register with, tailed from the real test broker and decoded through
the app's registry client; and the registry's bad days."""

from __future__ import annotations

import asyncio
import decimal
import threading
from collections.abc import Iterator

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import KafkaTail, StartPosition
from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.core.decoding import decode_record
from monitor.core.envelope import Envelope
from monitor.core.formats.framing import SchemaRef, frame_v0
from monitor.core.formats.schemas import Pending, Schema, Unavailable
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer

ORDER_AVSC = """{"type": "record", "name": "OrderPlaced", "namespace": "com.acme",
 "fields": [{"name": "orderId", "type": "string"},
            {"name": "correlationId", "type": "string"},
            {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                        "precision": 9, "scale": 2}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}"""
PAYMENT_SCHEMA = """{"title": "PaymentAuthorized", "type": "object",
 "properties": {"type": {"type": "string"}, "amount": {"type": "number"}},
 "required": ["amount"]}"""


@pytest.fixture
def registry() -> Iterator[SchemaRegistryServer]:
    with SchemaRegistryServer() as server:
        yield server


def shipped_class() -> type:
    """acme.Envelope.Shipped: a nested message (index [0, 0]) with a Timestamp."""
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(
        name="acme/ship.proto", package="acme", syntax="proto3"
    )
    fdp.dependency.append("google/protobuf/timestamp.proto")
    shipped = fdp.message_type.add(name="Envelope").nested_type.add(name="Shipped")
    shipped.field.add(name="order_id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    shipped.field.add(name="correlation_id", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    shipped.field.add(
        name="at",
        number=3,
        type=F.TYPE_MESSAGE,
        type_name=".google.protobuf.Timestamp",
        label=F.LABEL_OPTIONAL,
    )
    pool = descriptor_pool.DescriptorPool()
    ts = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts)
    pool.Add(ts)
    pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.Envelope.Shipped"))


async def tail_until(
    profile: ConnectionProfile, topic: str, n: int, client: RegistryClient
) -> list[Envelope]:
    events: list[Envelope] = []
    tail = KafkaTail(
        profile, [topic], sink=events.extend, start=StartPosition("beginning"), schemas=client
    )
    await tail.run(max_records=n, duration=30)
    return events


Record = tuple[bytes | None, bytes | None, list[tuple[str, str | bytes | None]]]


def produced_and_tailed(
    profile: ConnectionProfile,
    topic: str,
    records: list[Record],
    client: RegistryClient,
    n: int | None = None,
) -> list[Envelope]:
    """``records`` (value, key, headers) produced to partition 0 of ``topic``, then the
    first ``n`` (all by default) tailed with ``client``, which is closed after: by offset."""

    async def run() -> list[Envelope]:
        await create_topic(profile.bootstrap_servers, topic)
        producer = Producer({"bootstrap.servers": profile.bootstrap_servers})
        for value, key, headers in records:
            producer.produce(topic, value=value, key=key, headers=headers, partition=0)
        producer.flush(10)
        try:
            return await tail_until(profile, topic, len(records) if n is None else n, client)
        finally:
            client.close()

    return sorted(asyncio.run(run()), key=lambda e: e.offset or 0)


def test_records_from_confluent_serializers_are_decoded_through_the_registry(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer
) -> None:
    sr = SchemaRegistryClient({"url": registry.url})
    avro = AvroSerializer(sr, ORDER_AVSC)
    key_avro = AvroSerializer(sr, '"string"')
    Shipped = shipped_class()
    proto = ProtobufSerializer(Shipped, sr, {"use.deprecated.format": False})
    js = JSONSerializer(PAYMENT_SCHEMA, sr)
    msg = Shipped(order_id="o-1", correlation_id="c-1")
    msg.at.FromJsonString("2026-12-06T10:00:00.250Z")
    value_ctx = SerializationContext(topic_name, MessageField.VALUE)
    key_ctx = SerializationContext(topic_name, MessageField.KEY)
    records = [
        (
            avro(
                {
                    "orderId": "o-1",
                    "correlationId": "c-1",
                    "amount": decimal.Decimal("12.50"),
                    "at": 1796551200123,
                },
                value_ctx,
            ),
            key_avro("o-1", key_ctx),
            [],
        ),
        (proto(msg, value_ctx), b"o-1", []),
        (paid := js({"type": "PaymentAuthorized", "amount": 12.5}, value_ctx), b"o-1", []),
        # JSONSerializer refuses invalid payloads; a producer that does not check sends it.
        (frame_v0(int.from_bytes(paid[1:5], "big"), b'{"amount": "twelve"}'), None, []),
        (b"plain text, no schema", b"o-1", []),
        (None, b"o-1", []),
    ]

    client = RegistryClient(RegistrySettings(registry.url))
    events = produced_and_tailed(profile, topic_name, records, client)
    assert [e.format for e in events] == [
        "avro",
        "protobuf",
        "json-schema",
        "json-schema",
        "text",
        "tombstone",
    ]
    assert not any(e.malformed or e.undecoded for e in events), [e.error for e in events]
    order, shipped, paid, unpaid, text, tomb = events
    assert order.data == {
        "orderId": "o-1",
        "correlationId": "c-1",
        "amount": "12.50",
        "at": "2026-12-06T10:00:00.123Z",
    }
    assert order.type == "com.acme.OrderPlaced" and order.correlation_id == "c-1"
    assert order.schema is not None and order.schema["subject"] == f"{topic_name}-value"
    assert order.key == "o-1" and order.key_format == "avro"
    assert shipped.data == {
        "orderId": "o-1",
        "correlationId": "c-1",
        "at": "2026-12-06T10:00:00.250Z",
    }
    assert shipped.type == "acme.Envelope.Shipped" and shipped.correlation_id == "c-1"
    assert paid.type == "PaymentAuthorized" and paid.schema is not None and paid.schema["valid"]
    assert unpaid.schema is not None and unpaid.schema["valid"] is False
    assert unpaid.schema["invalid"].startswith("$.amount")
    assert text.data == "plain text, no schema" and tomb.key == "o-1"


def test_avro_with_a_reference_and_a_v1_guid_header(
    registry: SchemaRegistryServer,
) -> None:
    import io
    import json

    import fastavro

    sr = SchemaRegistryClient({"url": registry.url})
    from confluent_kafka.schema_registry import Schema as CSchema
    from confluent_kafka.schema_registry import SchemaReference

    money = {
        "type": "record",
        "name": "Money",
        "namespace": "com.acme",
        "fields": [{"name": "cents", "type": "long"}],
    }
    sr.register_schema("money", CSchema(json.dumps(money), "AVRO"))
    order = {
        "type": "record",
        "name": "Order",
        "namespace": "com.acme",
        "fields": [{"name": "total", "type": "com.acme.Money"}],
    }
    registered = sr.register_schema(
        "orders-value",
        CSchema(json.dumps(order), "AVRO", [SchemaReference("com.acme.Money", "money", 1)]),
    )
    out = io.BytesIO()
    full = {**order, "fields": [{"name": "total", "type": money}]}
    fastavro.schemaless_writer(out, fastavro.parse_schema(full), {"total": {"cents": 1250}})
    body = out.getvalue()
    guid = registry.state.schemas[registered - 1]["guid"]
    client = RegistryClient(RegistrySettings(registry.url))
    import uuid

    header = [("__value_schema_id", b"\x01" + uuid.UUID(guid).bytes)]
    assert isinstance(client.fetch(SchemaRef(guid=guid)), Schema)
    env = decode_record(body, header, schemas=client)
    assert env.format == "avro" and env.data == {"total": {"cents": 1250}}, env.error
    assert env.schema is not None and env.schema["guid"] == guid
    by_id = decode_record(frame_v0(registered, body), schemas=client)
    assert isinstance(by_id.data, dict) or by_id.undecoded  # first sight: being fetched
    assert isinstance(client.fetch(SchemaRef(id=registered)), Schema)
    assert decode_record(frame_v0(registered, body), schemas=client).data == env.data
    client.close()


def wait_settled(client: RegistryClient, ref: SchemaRef) -> object:
    done = threading.Event()
    answer = client.lookup(ref, None, False)
    if isinstance(answer, Pending):
        client.when_settled(done.set)
        assert done.wait(20)
        answer = client.lookup(ref, None, False)
    return answer


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("500", "HTTP 500"),
        ("html", "HTTP 502"),
        ("html200", "an HTML page"),
        ("hang", "did not answer within 0.5 s"),
        (None, "was not found"),
    ],
)
def test_a_failing_registry_gives_a_clear_reason_per_record_and_asks_once(
    registry: SchemaRegistryServer, fault: str | None, words: str
) -> None:
    registry.state.fault = fault
    registry.state.hang_for = 2.0
    client = RegistryClient(RegistrySettings(registry.url, timeout=0.5), retry_after=3600)
    answer = wait_settled(client, SchemaRef(id=99))
    assert isinstance(answer, Unavailable) and words in answer.reason, answer
    env = decode_record(frame_v0(99, b"\x02x"), topic="t", schemas=client)
    assert env.undecoded and not env.malformed and words in (env.error or "")
    assert env.raw == frame_v0(99, b"\x02x")
    assert registry.state.reads == 1  # the failure is remembered, not asked per record
    client.close()


def test_an_unreachable_registry_is_a_reason_not_a_stall() -> None:
    client = RegistryClient(RegistrySettings("http://127.0.0.1:9", timeout=0.5))
    answer = wait_settled(client, SchemaRef(id=1))
    assert isinstance(answer, Unavailable) and "cannot reach the registry" in answer.reason
    client.close()


def test_a_schema_referencing_itself_is_refused_with_the_chain(
    registry: SchemaRegistryServer,
) -> None:
    registry.state.register(
        "loop",
        {"schema": '"string"', "references": [{"name": "x", "subject": "loop", "version": 1}]},
    )
    client = RegistryClient(RegistrySettings(registry.url))
    answer = wait_settled(client, SchemaRef(id=1))
    assert isinstance(answer, Unavailable) and "references itself" in answer.reason
    client.close()


def test_a_tail_holds_records_while_their_schema_is_fetched_and_loses_none(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer
) -> None:
    sr = SchemaRegistryClient({"url": registry.url})
    avro = AvroSerializer(sr, ORDER_AVSC)
    ctx = SerializationContext(topic_name, MessageField.VALUE)
    registry.state.fault = "hang"  # every schema read takes a second
    registry.state.hang_for = 1.0

    async def run() -> list[Envelope]:
        await create_topic(profile.bootstrap_servers, topic_name)
        producer = Producer({"bootstrap.servers": profile.bootstrap_servers})
        for i in range(20):
            value = avro(
                {
                    "orderId": f"o-{i}",
                    "correlationId": "c",
                    "amount": decimal.Decimal("1.00"),
                    "at": 0,
                },
                ctx,
            )
            producer.produce(topic_name, value=value, partition=0)
            producer.produce(topic_name, value=b'{"type": "Json"}', partition=0)
        producer.flush(10)
        client = RegistryClient(RegistrySettings(registry.url, timeout=5))
        try:
            return await tail_until(profile, topic_name, 40, client)
        finally:
            client.close()

    events = asyncio.run(run())
    assert sorted(e.offset or 0 for e in events) == list(range(40))
    assert [e.format for e in events].count("avro") == 20
    assert registry.state.reads == 1


def payment_classes() -> tuple[type, type]:
    """acme/pay.proto imports acme/money.proto (a schema reference, registered apart);
    Payment.Line is a nested message (index [0, 0])."""
    F = descriptor_pb2.FieldDescriptorProto
    money = descriptor_pb2.FileDescriptorProto(
        name="acme/money.proto", package="acme.money", syntax="proto3"
    )
    m = money.message_type.add(name="Money")
    m.field.add(name="cents", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    pay = descriptor_pb2.FileDescriptorProto(
        name="acme/pay.proto", package="acme.pay", syntax="proto3"
    )
    pay.dependency.append("acme/money.proto")
    payment = pay.message_type.add(name="Payment")
    line = payment.nested_type.add(name="Line")
    line.field.add(name="sku", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    line.field.add(
        name="price",
        number=2,
        type=F.TYPE_MESSAGE,
        type_name=".acme.money.Money",
        label=F.LABEL_OPTIONAL,
    )
    line.field.add(name="correlation_id", number=3, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(money)
    pool.Add(pay)
    get = message_factory.GetMessageClass
    return get(pool.FindMessageTypeByName("acme.pay.Payment.Line")), get(
        pool.FindMessageTypeByName("acme.money.Money")
    )


def test_guid_headers_protobuf_references_msgpack_and_a_truncated_body_on_the_broker(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer
) -> None:
    import msgpack
    from confluent_kafka.schema_registry import header_schema_id_serializer

    sr = SchemaRegistryClient({"url": registry.url})
    in_headers = {"schema.id.serializer": header_schema_id_serializer}
    avro = AvroSerializer(sr, ORDER_AVSC, conf=in_headers)
    key_avro = AvroSerializer(sr, '"string"', conf=in_headers)
    Line, Money = payment_classes()
    proto = ProtobufSerializer(Line, sr, {"use.deprecated.format": False, **in_headers})
    framed_avro = AvroSerializer(sr, ORDER_AVSC)
    order = {"orderId": "o-2", "correlationId": "c-2", "amount": decimal.Decimal("0.10"),
             "at": 0}  # fmt: skip

    def ser(serializer, obj, field=MessageField.VALUE, headers=None):  # type: ignore[no-untyped-def]
        ctx = SerializationContext(topic_name, field, headers)
        return serializer(obj, ctx)

    h1: list[tuple[str, bytes]] = []
    avro_value = ser(avro, order, headers=h1)
    avro_key = ser(key_avro, "o-2", MessageField.KEY, h1)
    h2: list[tuple[str, bytes]] = []
    line = Line(sku="SKU-1", correlation_id="c-2", price=Money(cents=250))
    proto_value = ser(proto, line, headers=h2)
    records = [
        (avro_value, avro_key, h1),
        (proto_value, b"o-2", h2),
        (msgpack.packb({"type": "Reading", "celsius": 21.5}), None,
         [("content-type", b"application/msgpack")]),
        (ser(framed_avro, order)[:-3], None, []),  # cut short in transit
    ]  # fmt: skip
    assert [name for name, _ in h1] == ["__value_schema_id", "__key_schema_id"]

    client = RegistryClient(RegistrySettings(registry.url))
    avro_env, proto_env, packed, cut = produced_and_tailed(profile, topic_name, records, client)
    assert avro_env.format == "avro" and avro_env.data["amount"] == "0.10", avro_env.error
    assert avro_env.schema is not None and "guid" in avro_env.schema
    assert avro_env.key == "o-2" and avro_env.key_format == "avro"
    assert proto_env.format == "protobuf", proto_env.error
    assert proto_env.data == {"sku": "SKU-1", "price": {"cents": "250"}, "correlationId": "c-2"}
    assert proto_env.type == "acme.pay.Payment.Line" and proto_env.correlation_id == "c-2"
    assert packed.format == "msgpack" and packed.type == "Reading"
    assert cut.malformed and "truncated" in (cut.error or "") and cut.raw == records[3][0]


def test_the_windows_session_tail_uses_the_profiles_registry(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer
) -> None:
    from dataclasses import replace

    from adapters.kafka.session import KafkaSession
    from monitor.core.pipeline import IngestPipeline
    from tests.polling import poll_until

    sr = SchemaRegistryClient({"url": registry.url})
    value = AvroSerializer(sr, ORDER_AVSC)(
        {"orderId": "o-9", "correlationId": "c-9", "amount": decimal.Decimal("9.90"), "at": 0},
        SerializationContext(topic_name, MessageField.VALUE),
    )
    with_registry = replace(profile, registry_url=registry.url)

    async def run() -> list[Envelope]:
        await create_topic(profile.bootstrap_servers, topic_name)
        producer = Producer({"bootstrap.servers": profile.bootstrap_servers})
        producer.produce(topic_name, value=value, partition=0)
        producer.flush(10)
        pipeline = IngestPipeline()
        pipeline.start()
        session = KafkaSession(with_registry, pipeline=pipeline)
        await session.open()
        try:
            await session.start_tail([topic_name], StartPosition("beginning"))

            def mine() -> list[Envelope]:
                latest = pipeline.live.latest(pipeline.live.capacity)
                return [e for e in latest if e.topic == topic_name]

            await poll_until(lambda: bool(mine()), 20, every=0.05)
            return mine()
        finally:
            await session.close()
            await pipeline.stop()

    (event,) = asyncio.run(run())
    assert event.format == "avro" and event.data["amount"] == "9.90", event.error
    assert event.type == "com.acme.OrderPlaced"


@pytest.mark.parametrize("fault", ["500", "html200", "hang"])
def test_a_tail_on_a_failing_registry_keeps_every_record_with_the_reason(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer, fault: str
) -> None:
    sr = SchemaRegistryClient({"url": registry.url})
    avro = AvroSerializer(sr, ORDER_AVSC)
    ctx = SerializationContext(topic_name, MessageField.VALUE)
    order = {"orderId": "o", "correlationId": "c", "amount": decimal.Decimal("1.00"), "at": 0}
    values = [avro(order, ctx), b'{"type": "Json"}', avro(order, ctx), b'{"type": "Json"}']
    registry.state.fault = fault
    registry.state.hang_for = 3.0

    client = RegistryClient(RegistrySettings(registry.url, timeout=1.0), retry_after=3600)
    events = produced_and_tailed(profile, topic_name, [(v, None, []) for v in values], client)
    assert [e.offset for e in events] == [0, 1, 2, 3]
    assert [e.format for e in events] == ["undecoded", "json", "undecoded", "json"]
    words = {"500": "HTTP 500", "html200": "an HTML page", "hang": "within 1 s"}[fault]
    for e in (events[0], events[2]):
        assert not e.malformed and words in (e.error or "") and e.raw == values[e.offset or 0]
    assert registry.state.reads == 1  # one request, whatever the number of records


def test_a_protobuf_schema_registered_as_proto_text_is_read(
    registry: SchemaRegistryServer,
) -> None:
    """As a Java producer registers it; this registry serves text even when asked for the
    serialized form, as some do."""
    from monitor.core.formats.proto_text import parse_proto
    from tests.core.test_formats import SHOP_PROTO

    sid = registry.state.register("shop-value", {"schema": SHOP_PROTO, "schemaType": "PROTOBUF"})[
        "id"
    ]
    pool = descriptor_pool.DescriptorPool()
    ts = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts)
    pool.Add(ts)
    pool.Add(parse_proto(SHOP_PROTO))
    Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.shop.Order"))
    client = RegistryClient(RegistrySettings(registry.url))
    try:
        assert isinstance(client.fetch(SchemaRef(id=sid)), Schema)
        env = decode_record(
            frame_v0(sid, b"\x00" + Order(order_id="o-7").SerializeToString()), schemas=client
        )
    finally:
        client.close()
    assert env.format == "protobuf" and env.data["orderId"] == "o-7", env.error
    assert env.schema == {"id": sid, "guid": env.schema["guid"], "subject": "shop-value",
                          "version": 1, "name": "acme.shop.Order"}  # fmt: skip


KEY_AVSC = """{"type": "record", "name": "OrderKey", "namespace": "com.acme",
 "fields": [{"name": "orderId", "type": "string"}]}"""


def test_max_records_counts_records_held_for_a_schema_and_a_key_schema_is_waited_for(
    profile: ConnectionProfile, topic_name: str, registry: SchemaRegistryServer
) -> None:
    sr = SchemaRegistryClient({"url": registry.url})
    value_ctx = SerializationContext(topic_name, MessageField.VALUE)
    key_ctx = SerializationContext(topic_name, MessageField.KEY)
    avro, avro_key = AvroSerializer(sr, ORDER_AVSC), AvroSerializer(sr, KEY_AVSC)

    def order(i: int) -> bytes:
        data = {"orderId": f"o-{i}", "correlationId": "c", "amount": decimal.Decimal("1"), "at": 0}
        return avro(data, value_ctx)

    registry.state.fault = "hang"  # every schema read takes half a second
    registry.state.hang_for = 0.5

    # The second record's key has a schema of its own: by the time its value's schema is
    # known (from the first record), the key's is still being fetched.
    records: list[Record] = [(order(0), b"o-0", [])]
    records.append((order(1), avro_key({"orderId": "o-1"}, key_ctx), []))
    records += [(order(i), b"o-x", []) for i in range(2, 12)]
    client = RegistryClient(RegistrySettings(registry.url, timeout=5))
    events = produced_and_tailed(profile, topic_name, records, client, n=3)
    # Exactly as many as asked for, although all were held while their schemas came.
    assert [e.offset for e in events] == [0, 1, 2]
    assert [e.format for e in events] == ["avro"] * 3
    assert events[1].key_format == "avro", events[1].key_schema
    assert events[1].key == '{"orderId":"o-1"}'

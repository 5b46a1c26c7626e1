"""The format family without a network: framing, Avro, Protobuf, JSON Schema, text,
MessagePack, CBOR, binary, tombstones, keys, and what is undecoded or malformed."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import cbor2
import fastavro
import msgpack
import pytest
from google.protobuf import descriptor_pb2
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core.decoding import _decode, decode_record
from monitor.core.formats.framing import SchemaRef, frame_v0
from monitor.core.formats.schemas import (
    AVRO,
    JSON_SCHEMA,
    PROTOBUF,
    LocalSchemas,
    Pending,
    Schema,
    SchemaAnswer,
    SchemaFile,
    SchemaSources,
    Unavailable,
)


class DictSchemas:
    """A schema source over a dict, as the registry client's cache looks once filled."""

    def __init__(self, by_id: dict[int, Schema], pending: set[int] | None = None) -> None:
        self.by_id = by_id
        self.pending = pending or set()
        self.callbacks: list[Callable[[], None]] = []

    def lookup(self, ref: SchemaRef | None, topic: str | None, is_key: bool) -> SchemaAnswer:
        if ref is None:
            return Unavailable("not framed")
        if ref.guid is not None:
            for s in self.by_id.values():
                if s.guid == ref.guid:
                    return s
            return Unavailable(f"{ref.describe()}: not found")
        if ref.id in self.pending:
            return Pending(f"{ref.describe()}: being fetched")
        found = self.by_id.get(ref.id or -1)
        return found if found is not None else Unavailable(f"{ref.describe()}: not found")

    def when_settled(self, callback: Callable[[], None]) -> None:
        self.callbacks.append(callback)

    def claims(self, topic: str | None, is_key: bool) -> bool:
        return False


ORDER_AVSC = {
    "type": "record",
    "name": "OrderPlaced",
    "namespace": "com.acme.orders",
    "fields": [
        {"name": "orderId", "type": "string"},
        {"name": "correlationId", "type": "string"},
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}
ORDER = {
    "orderId": "o-1",
    "correlationId": "c-42",
    "amount": Decimal("12.50"),
    "at": dt.datetime(2026, 12, 6, 10, 0, 0, 123000, tzinfo=dt.UTC),
    "day": dt.date(2026, 12, 6),
    "ref": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "note": None,
}


def avro_body(schema: dict[str, object], record: dict[str, object]) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), record)
    return out.getvalue()


def avro_schema(schema_id: int = 42) -> Schema:
    return Schema(AVRO, json.dumps(ORDER_AVSC), id=schema_id, subject="orders-value", version=3)


def test_avro_in_v0_framing_is_decoded_with_logical_types_as_people_read_them() -> None:
    value = frame_v0(42, avro_body(ORDER_AVSC, ORDER))
    env = decode_record(value, topic="orders", schemas=DictSchemas({42: avro_schema()}))
    assert not env.malformed and env.error is None
    assert env.format == "avro"
    assert env.schema == {
        "id": 42,
        "subject": "orders-value",
        "version": 3,
        "name": "com.acme.orders.OrderPlaced",
    }
    assert env.data == {
        "orderId": "o-1",
        "correlationId": "c-42",
        "amount": "12.50",
        "at": "2026-12-06T10:00:00.123Z",
        "day": "2026-12-06",
        "ref": "12345678-1234-5678-1234-567812345678",
        "note": None,
    }
    # No type field or header: the record's full name. Correlation as in JSON.
    assert env.type == "com.acme.orders.OrderPlaced" and env.correlation_id == "c-42"
    assert env.to_dict()["format"] == "avro" and env.to_dict()["schema"]["id"] == 42


def test_a_type_header_comes_before_the_record_name() -> None:
    value = frame_v0(42, avro_body(ORDER_AVSC, ORDER))
    headers = [("event-type", b"OrderPlacedV2")]
    env = decode_record(value, headers, schemas=DictSchemas({42: avro_schema()}))
    assert env.type == "OrderPlacedV2"


def test_truncated_avro_body_is_malformed_with_the_reason_and_bytes_kept() -> None:
    value = frame_v0(42, avro_body(ORDER_AVSC, ORDER))[:-9]
    env = decode_record(value, schemas=DictSchemas({42: avro_schema()}))
    assert env.malformed and env.format == "avro"
    assert "does not decode as avro with schema id 42" in (env.error or "")
    assert env.raw == value
    # Cut anywhere (inside a string too, which fastavro reads as an index error): it
    # says the body ends early, never an internal error's words.
    full = avro_body(ORDER_AVSC, ORDER)
    for cut in range(1, len(full)):
        reason = decode_record(frame_v0(42, full[:cut]), schemas=DictSchemas({42: avro_schema()}))
        assert "body ends early (truncated)" in (reason.error or ""), (cut, reason.error)


def test_framed_record_without_a_registry_is_undecoded_saying_what_to_do() -> None:
    value = frame_v0(42, avro_body(ORDER_AVSC, ORDER))
    env = decode_record(value, topic="orders", partition=0, offset=7)
    assert not env.malformed and env.undecoded and env.format == "undecoded"
    assert env.error == (
        "schema id 42: no schema registry is configured; add one to the profile "
        "(Connections view) or give --schema-registry URL on the command line"
    )
    assert env.raw == value and env.schema == {"id": 42} and env.type == "orders"


def test_unknown_schema_id_is_undecoded_and_pending_is_marked() -> None:
    value = frame_v0(7, b"\x02x")
    env = decode_record(value, schemas=DictSchemas({}))
    assert env.undecoded and env.error == "schema id 7: not found"
    pending = decode_record(value, schemas=DictSchemas({}, pending={7}))
    assert pending.undecoded and pending.schema == {"id": 7, "pending": True}


def test_v1_guid_header_names_the_schema_and_the_value_has_no_prefix() -> None:
    guid = uuid.uuid4()
    schema = avro_schema()
    schema.guid = str(guid)
    body = avro_body(ORDER_AVSC, ORDER)
    env = decode_record(
        body, [("__value_schema_id", b"\x01" + guid.bytes)], schemas=DictSchemas({42: schema})
    )
    assert env.format == "avro" and env.schema is not None and env.schema["guid"] == str(guid)
    assert env.data["orderId"] == "o-1"


def test_a_schema_id_header_with_an_unknown_magic_byte_is_malformed() -> None:
    env = decode_record(b"{}", [("__value_schema_id", b"\x07abc")])
    assert env.malformed and "unknown magic byte 0x07" in (env.error or "")


def test_a_key_with_its_own_schema_is_decoded_apart_from_the_value() -> None:
    key_schema = Schema(AVRO, '"string"', id=5, subject="orders-key", version=1)
    key = frame_v0(5, avro_body("string", "order-7"))  # type: ignore[arg-type]
    env = decode_record(b'{"type": "OrderPlaced"}', key=key, schemas=DictSchemas({5: key_schema}))
    assert env.format == "json" and env.type == "OrderPlaced"
    assert env.key == "order-7" and env.key_format == "avro"
    assert env.key_schema == {"id": 5, "subject": "orders-key", "version": 1}


# --- Protobuf -----------------------------------------------------------------------


def order_proto() -> descriptor_pb2.FileDescriptorProto:
    """package acme; import timestamp; message Envelope { message Shipped {...} } and
    message Order, so Shipped is the nested message at index [0, 0]."""
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(
        name="acme/order.proto", package="acme", syntax="proto3"
    )
    fdp.dependency.append("google/protobuf/timestamp.proto")
    outer = fdp.message_type.add(name="Envelope")
    shipped = outer.nested_type.add(name="Shipped")
    shipped.field.add(name="order_id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    shipped.field.add(name="correlation_id", number=2, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    shipped.field.add(
        name="at",
        number=3,
        type=F.TYPE_MESSAGE,
        type_name=".google.protobuf.Timestamp",
        label=F.LABEL_OPTIONAL,
    )
    order = fdp.message_type.add(name="Order")
    order.field.add(name="order_id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    return fdp


def proto_schema(fdp: descriptor_pb2.FileDescriptorProto, schema_id: int = 9) -> Schema:
    text = base64.b64encode(fdp.SerializeToString()).decode()
    return Schema(PROTOBUF, text, id=schema_id, subject="shipping-value", version=1)


def shipped_body() -> bytes:
    from google.protobuf import descriptor_pool, message_factory, timestamp_pb2

    pool = descriptor_pool.DescriptorPool()
    ts = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts)
    pool.Add(ts)
    pool.Add(order_proto())
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.Envelope.Shipped"))
    msg = cls(order_id="o-1", correlation_id="c-9")
    msg.at.FromJsonString("2026-12-06T10:00:00.500Z")
    return msg.SerializeToString()


def test_nested_protobuf_message_with_a_timestamp_is_built_at_run_time() -> None:
    # Message index list [0, 0]: count 2 then 0, 0, as zig-zag varints.
    value = frame_v0(9, b"\x04\x00\x00" + shipped_body())
    env = decode_record(value, schemas=DictSchemas({9: proto_schema(order_proto())}))
    assert not env.malformed, env.error
    assert env.format == "protobuf"
    assert env.data == {
        "orderId": "o-1",
        "correlationId": "c-9",
        "at": "2026-12-06T10:00:00.500Z",
    }
    assert env.type == "acme.Envelope.Shipped" and env.correlation_id == "c-9"
    assert env.schema is not None and env.schema["name"] == "acme.Envelope.Shipped"


def test_protobuf_message_index_out_of_the_schema_is_malformed() -> None:
    value = frame_v0(9, b"\x02\x0a" + shipped_body())  # [5]: there are two messages
    env = decode_record(value, schemas=DictSchemas({9: proto_schema(order_proto())}))
    assert env.malformed and "message index [5]" in (env.error or "")


def test_a_protobuf_schema_that_imports_itself_is_undecoded_with_the_reason() -> None:
    fdp = descriptor_pb2.FileDescriptorProto(name="loop.proto", package="loop")
    fdp.dependency.append("loop.proto")
    fdp.message_type.add(name="M")
    schema = proto_schema(fdp)
    schema.references = {"loop.proto": schema}
    env = decode_record(frame_v0(9, b"\x00"), schemas=DictSchemas({9: schema}))
    assert env.undecoded and "imports itself" in (env.error or "")
    assert env.raw == frame_v0(9, b"\x00")


SHOP_PROTO = """
syntax = "proto3";
package acme.shop;
import "google/protobuf/timestamp.proto";
option java_package = "com.acme.shop";

/* An order, as a Java producer registers it: .proto text. */
message Order {
  string order_id = 1;
  repeated Line lines = 2 [packed = true];
  map<string, int64> counts = 3;
  google.protobuf.Timestamp at = 4;
  Status status = 5;
  oneof payment { string card = 6; string iban = 7; }
  optional string note = 8;
  reserved 9, 10;
  // Nested: message index [0, 1], after the map's entry type made where counts is
  // declared (as protoc orders them).
  message Line { string sku = 1; int32 qty = 2; }
  enum Status { STATUS_UNKNOWN = 0; PLACED = 1; }
}
"""


def test_protobuf_schemas_as_proto_text_are_read_without_protoc(tmp_path: Path) -> None:
    from google.protobuf import descriptor_pool, message_factory, timestamp_pb2

    from monitor.core.formats.proto_text import parse_proto

    pool = descriptor_pool.DescriptorPool()
    ts = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(ts)
    pool.Add(ts)
    pool.Add(parse_proto(SHOP_PROTO, "shop.proto"))
    Order = message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.shop.Order"))
    Line = message_factory.GetMessageClass(pool.FindMessageTypeByName("acme.shop.Order.Line"))
    order = Order(order_id="o-1", card="4111", note="ring", status=1)
    order.lines.add(sku="A", qty=2)
    order.counts["x"] = 3
    order.at.FromJsonString("2026-12-06T10:00:00Z")
    schema = Schema(PROTOBUF, SHOP_PROTO, id=9, subject="shop-value", version=1)
    source = DictSchemas({9: schema})
    env = decode_record(frame_v0(9, b"\x00" + order.SerializeToString()), schemas=source)
    assert env.format == "protobuf", env.error
    assert env.data == {
        "orderId": "o-1",
        "lines": [{"sku": "A", "qty": 2}],
        "counts": {"x": "3"},
        "at": "2026-12-06T10:00:00Z",
        "status": "PLACED",
        "card": "4111",
        "note": "ring",
    }
    line = decode_record(
        frame_v0(9, b"\x04\x00\x02" + Line(sku="B", qty=1).SerializeToString()), schemas=source
    )
    assert line.type == "acme.shop.Order.Line" and line.data == {"sku": "B", "qty": 1}
    # The same text as a local file.
    path = tmp_path / "shop.proto"
    path.write_text(SHOP_PROTO)
    local = LocalSchemas([SchemaFile.parse(f"shop*={path}")])
    from_file = decode_record(frame_v0(1, b"\x00" + order.SerializeToString()), topic="shop",
                              schemas=local)  # fmt: skip
    assert from_file.data == env.data


def test_proto_text_that_cannot_be_read_says_where() -> None:
    schema = Schema(PROTOBUF, 'syntax = "proto3"; message M { string = 1; }', id=9)
    env = decode_record(frame_v0(9, b"\x00"), schemas=DictSchemas({9: schema}))
    assert env.undecoded and ".proto line 1: expected '='" in (env.error or "")


# --- JSON Schema, references -----------------------------------------------------------


def test_json_schema_records_show_validity_and_the_first_failing_path() -> None:
    doc = {
        "title": "Payment",
        "type": "object",
        "properties": {"amount": {"type": "number"}, "items": {"type": "array"}},
        "required": ["amount"],
    }
    schema = Schema(JSON_SCHEMA, json.dumps(doc), id=3, subject="pay-value", version=2)
    source = DictSchemas({3: schema})
    good = decode_record(frame_v0(3, b'{"amount": 5, "type": "Paid"}'), schemas=source)
    assert good.format == "json-schema" and good.data == {"amount": 5, "type": "Paid"}
    assert good.schema is not None and good.schema["valid"] is True and good.type == "Paid"
    bad = decode_record(frame_v0(3, b'{"amount": "five"}'), schemas=source)
    assert not bad.malformed and bad.data == {"amount": "five"}
    assert bad.schema is not None and bad.schema["valid"] is False
    assert bad.schema["invalid"].startswith("$.amount: 'five' is not of type 'number'")
    broken = decode_record(frame_v0(3, b'{"amount": '), schemas=source)
    assert broken.malformed and "invalid JSON" in (broken.error or "")


def test_avro_named_types_from_a_referenced_schema() -> None:
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "com.acme",
        "fields": [{"name": "cents", "type": "long"}],
    }
    order = {
        "type": "record",
        "name": "Order",
        "namespace": "com.acme",
        "fields": [{"name": "total", "type": "com.acme.Money"}],
    }
    ref = Schema(AVRO, json.dumps(money), subject="money", version=1)
    schema = Schema(AVRO, json.dumps(order), id=11, references={"com.acme.Money": ref})
    body = avro_body(
        {**order, "fields": [{"name": "total", "type": money}]}, {"total": {"cents": 1250}}
    )
    env = decode_record(frame_v0(11, body), schemas=DictSchemas({11: schema}))
    assert env.data == {"total": {"cents": 1250}} and env.type == "com.acme.Order"


# --- values without a schema ------------------------------------------------------------


def test_msgpack_and_cbor_by_content_type() -> None:
    payload = {"type": "Reading", "correlationId": "c-1", "at": 1.5, "raw": b"\x01"}
    env = decode_record(msgpack.packb(payload), [("content-type", b"application/msgpack")])
    assert env.format == "msgpack" and not env.malformed
    assert env.data == {"type": "Reading", "correlationId": "c-1", "at": 1.5, "raw": "AQ=="}
    assert env.type == "Reading" and env.correlation_id == "c-1"
    cb = decode_record(cbor2.dumps(payload), [("content-type", b"application/cbor")])
    assert cb.format == "cbor" and cb.data == env.data
    bad = decode_record(b"\xc1", [("content-type", b"application/msgpack")])
    assert bad.malformed and "not MessagePack" in (bad.error or "")


def test_local_avro_schema_file_decodes_framed_and_unframed_records(tmp_path: Path) -> None:
    path = tmp_path / "order.avsc"
    path.write_text(json.dumps(ORDER_AVSC))
    local = LocalSchemas([SchemaFile.parse(f"orders.*={path}")])
    body = avro_body(ORDER_AVSC, ORDER)
    for value in (body, frame_v0(1234, body)):
        env = decode_record(value, topic="orders.eu", schemas=local)
        assert env.format == "avro" and env.data["amount"] == "12.50", env.error
        assert env.schema is not None and env.schema["subject"] == "order.avsc"
    # Another topic is untouched by the file.
    other = decode_record(b'{"type": "X"}', topic="payments", schemas=local)
    assert other.format == "json" and other.type == "X"
    both = SchemaSources([local, DictSchemas({})])
    assert decode_record(frame_v0(1, body), topic="billing", schemas=both).undecoded


def test_schema_file_option_is_pattern_equals_path_and_a_bad_one_says_so() -> None:
    assert SchemaFile.parse("key:orders.*=k.avsc") == SchemaFile("orders.*", "k.avsc", True)
    with pytest.raises(ValueError, match="PATTERN=PATH"):
        SchemaFile.parse("orders.avsc")


# --- the decoder's paths agree -----------------------------------------------------------

JSON_OBJECTS = st.dictionaries(
    st.sampled_from(["id", "type", "source", "time", "correlationId", "causationId", "x"])
    | st.text(max_size=4),
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=8)
    | st.sampled_from(["2026-12-06T10:00:00Z", "2026-12-06T10:00:00.123Z"]),
    max_size=7,
)
HEADERS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "ce_specversion",
                "ce_id",
                "ce_type",
                "ce_source",
                "ce_time",
                "ce_x",
                "traceparent",
                "correlation-id",
                "event-type",
                "Content-Type",
                "x-other",
            ]
        ),
        st.sampled_from(
            [b"1.0", b"e-1", b"T", b"/s", b"2026-12-06T10:00:00Z", b"application/json", b""]
        )
        | st.binary(max_size=6),
    ),
    max_size=6,
)


@settings(max_examples=300)
@given(
    obj=JSON_OBJECTS,
    headers=HEADERS,
    key=st.none() | st.binary(max_size=6),
    origin=st.tuples(st.sampled_from(["t", ""]), st.integers(0, 3), st.integers(0, 99)),
)
def test_the_fast_paths_and_the_general_path_give_the_same_envelope(
    obj: dict[str, object],
    headers: list[tuple[str, bytes]],
    key: bytes | None,
    origin: tuple[str, int, int],
) -> None:
    value = json.dumps(obj, separators=(",", ":")).encode()
    topic, partition, offset = origin
    args = (value, headers, key, topic, partition, offset, 1_700_000_000_000)
    from monitor.core.decoding import DEFAULT_CONFIG

    fast = _decode(*args, DEFAULT_CONFIG, None, True)
    general = _decode(*args, DEFAULT_CONFIG, None, False)
    a, b = fast.to_dict(), general.to_dict()
    if "id" not in obj and not any(h[0] == "ce_id" for h in headers):
        pass  # both derive the id from the origin: equal too
    assert a == b


def test_the_event_log_keeps_formats_schemas_and_an_undecoded_reason(tmp_path: Path) -> None:
    from monitor.core.eventlog import EventLog

    source = DictSchemas({42: avro_schema()})
    avro = decode_record(
        frame_v0(42, avro_body(ORDER_AVSC, ORDER)),
        topic="o",
        partition=0,
        offset=1,
        key=b"k",
        schemas=source,
    )
    waiting = decode_record(frame_v0(43, b"\x02"), topic="o", partition=0, offset=2)
    plain = decode_record(b'{"type": "T"}', topic="o", partition=0, offset=3, key=b"k")
    text = decode_record(b"hello", topic="o", partition=0, offset=4)
    with EventLog(tmp_path / "log.db") as log:
        log.append([avro, waiting, plain, text])
    with EventLog(tmp_path / "log.db") as log:
        loaded = {e.id: e for e in log.events(limit=10)}
    for env in (avro, waiting, plain, text):
        back = loaded[env.id]
        assert (back.format, back.schema, back.key_format, back.key_schema) == (
            env.format,
            env.schema,
            env.key_format,
            env.key_schema,
        )
        assert (back.error, back.malformed) == (env.error, env.malformed)
    assert loaded[waiting.id].undecoded and loaded[waiting.id].raw == waiting.raw
    # A plain JSON record with a text key, the common row, carries 17 bytes for them.
    import sqlite3

    with sqlite3.connect(tmp_path / "log.db") as conn:
        (extra,) = conn.execute("SELECT extra FROM events WHERE id = ?", (plain.id,)).fetchone()
    assert extra == '{"format":"json"}'


LOGICAL_RECORD = {
    "type": "record",
    "name": "Logical",
    "fields": [
        {"name": "ms", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {
            "name": "money",
            "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 20,
                              "scale": 3}],
        },
        {"name": "whole", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9}},
    ],
}  # fmt: skip


@settings(max_examples=200)
@given(
    ms=st.integers(-62_135_596_800_000, 253_402_300_799_999),
    us=st.integers(-62_135_596_800_000_000, 253_402_300_799_999_999),
    day=st.integers(-719_162, 2_932_896),
    money=st.none()
    | st.decimals(allow_nan=False, allow_infinity=False, places=3).filter(
        lambda d: abs(d) < 10**17
    ),
    whole=st.integers(-(10**9) + 1, 10**9 - 1),
)
def test_logical_types_read_fast_give_the_text_the_objects_would(
    ms: int, us: int, day: int, money: Decimal | None, whole: int
) -> None:
    from monitor.core.formats.avro import AvroCodec
    from monitor.core.formats.render import json_ready

    record = {
        "ms": dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms),
        "us": dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us),
        "local": dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms),
        "day": dt.date(1970, 1, 1) + dt.timedelta(days=day),
        "money": money,
        "whole": Decimal(whole),
    }
    body = avro_body(LOGICAL_RECORD, record)
    fast, _ = AvroCodec(Schema(AVRO, json.dumps(LOGICAL_RECORD))).decode(body)
    slow = json_ready(fastavro.schemaless_reader(io.BytesIO(body), LOGICAL_RECORD, None))
    assert fast == slow


@settings(max_examples=150)
@given(
    order_id=st.text(max_size=8),
    correlation=st.text(max_size=8),
    cents=st.integers(0, 10**8),
    at=st.integers(0, 4_102_444_800_000),
    headers=st.lists(
        st.tuples(
            st.sampled_from(["event-type", "correlation-id", "traceparent", "x-other"]),
            st.sampled_from([b"T", b"c-1", b"", b"00-" + b"a" * 32 + b"-" + b"b" * 16 + b"-01"]),
        ),
        max_size=3,
    ),
    key=st.none() | st.binary(max_size=6),
)
def test_schema_records_on_the_fast_path_equal_the_general_path(
    order_id: str,
    correlation: str,
    cents: int,
    at: int,
    headers: list[tuple[str, bytes]],
    key: bytes | None,
) -> None:
    from monitor.core.decoding import DEFAULT_CONFIG

    record = {
        **ORDER,
        "orderId": order_id,
        "correlationId": correlation,
        "amount": Decimal(cents).scaleb(-2),
        "at": dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=at),
    }
    value = frame_v0(42, avro_body(ORDER_AVSC, record))
    source = DictSchemas({42: avro_schema()})
    args = (value, headers, key, "orders", 0, 5, 1_700_000_000_000, DEFAULT_CONFIG, source)
    fast, general = _decode(*args, True), _decode(*args, False)
    assert fast.format == "avro"
    assert fast.to_dict() == general.to_dict()


@settings(max_examples=300)
@given(
    schema_id=st.sampled_from([42, 9, 3, 77]),
    body=st.binary(max_size=80),
    prefix=st.sampled_from([b"", b"\x00", b"\x02\x00", b"\x04\x00\x00", b"\xff\xff"]),
    header=st.none() | st.binary(max_size=20),
    key=st.none() | st.binary(max_size=10),
)
def test_schema_framed_garbage_never_raises_and_keeps_its_bytes(
    schema_id: int, body: bytes, prefix: bytes, header: bytes | None, key: bytes | None
) -> None:
    doc = {"type": "object", "properties": {"a": {"type": "number"}}}
    source = DictSchemas(
        {
            42: avro_schema(),
            9: proto_schema(order_proto()),
            3: Schema(JSON_SCHEMA, json.dumps(doc), id=3),
        }
    )
    value = frame_v0(schema_id, prefix + body)
    headers = [] if header is None else [("__value_schema_id", header)]
    env = decode_record(value, headers, key=key, topic="t", partition=0, offset=1, schemas=source)
    assert env.format in {"avro", "protobuf", "json-schema", "undecoded", "binary"}
    if env.malformed or env.undecoded:
        assert env.error and env.raw == value
    else:
        assert env.error is None


def test_publishing_encodes_json_as_the_app_shows_it_and_refuses_what_does_not_fit() -> None:
    from monitor.core.formats.encode import DoesNotFit, encode_with_schema

    shop = Schema(PROTOBUF, SHOP_PROTO, id=9)
    shown = {"orderId": "o-1", "at": "2026-12-06T10:00:00Z", "status": "PLACED"}
    back = decode_record(encode_with_schema(shown, shop), schemas=DictSchemas({9: shop}))
    assert back.format == "protobuf" and {k: back.data[k] for k in shown} == shown
    with pytest.raises(DoesNotFit, match="orderIdd"):
        encode_with_schema({"orderIdd": "x"}, shop)
    doc = {"type": "object", "properties": {"amount": {"type": "number"}}}
    pay = Schema(JSON_SCHEMA, json.dumps(doc), id=3)
    with pytest.raises(DoesNotFit, match=r"\$\.amount: 'five' is not of type 'number'"):
        encode_with_schema({"amount": "five"}, pay)
    assert encode_with_schema({"amount": 5}, pay) == frame_v0(3, b'{"amount":5}')
    order = avro_schema()
    copied = decode_record(
        frame_v0(42, avro_body(ORDER_AVSC, ORDER)), schemas=DictSchemas({42: order})
    ).data  # as the details pane shows it
    assert encode_with_schema(copied, order) == frame_v0(42, avro_body(ORDER_AVSC, ORDER))

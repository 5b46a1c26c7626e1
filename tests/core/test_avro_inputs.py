"""Avro data as the app shows it is written back as the bytes it came from: nested records,
arrays, maps and unions of logical types, bytes and fixed, a referenced named type."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest

from monitor.core.decoding import decode_record
from monitor.core.formats.encode import DoesNotFit, encode_body
from monitor.core.formats.framing import frame_v0
from monitor.core.formats.schemas import AVRO, Schema
from tests.core.test_formats import DictSchemas, avro_body

MONEY = {
    "type": "record",
    "name": "Money",
    "namespace": "shop",
    "fields": [
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 9, "scale": 2}},
        {"name": "currency", "type": {"type": "fixed", "name": "Iso", "size": 3}},
    ],
}  # fmt: skip
ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "total", "type": "shop.Money"},
        {"name": "lines", "type": {"type": "array", "items": {
            "type": "record", "name": "Line", "fields": [
                {"name": "sku", "type": "string"},
                {"name": "price", "type": "shop.Money"},
                {"name": "shipped", "type": ["null", {"type": "long",
                                                      "logicalType": "timestamp-micros"}]},
            ]}}},
        {"name": "due", "type": ["null", {"type": "int", "logicalType": "date"}]},
        {"name": "cutoff", "type": {"type": "int", "logicalType": "time-millis"}},
        {"name": "notes", "type": {"type": "map", "values": ["null", "string", "bytes"]}},
        {"name": "blob", "type": "bytes"},
    ],
}  # fmt: skip


def money(amount: str) -> dict[str, object]:
    return {"amount": Decimal(amount), "currency": b"EUR"}


RECORD = {
    "id": str(uuid.UUID("12345678-1234-5678-1234-567812345678")),
    "total": money("31.40"),
    "lines": [
        {"sku": "A-1", "price": money("10.00"),
         "shipped": dt.datetime(2026, 12, 6, 10, 0, 0, 123456, tzinfo=dt.UTC)},
        {"sku": "B-2", "price": money("21.40"), "shipped": None},
    ],
    "due": dt.date(2026, 12, 24),
    "cutoff": dt.time(17, 30),
    "notes": {"gift": "yes", "none": None},
    "blob": b"\x00\x01\xfe",
}  # fmt: skip


def schema() -> Schema:
    ref = Schema(AVRO, json.dumps(MONEY), subject="money", version=1)
    return Schema(AVRO, json.dumps(ORDER), id=8, references={"shop.Money": ref})


def full_schema() -> dict[str, object]:
    """ORDER with Money written in place, for fastavro to write the original bytes."""
    inline = json.loads(json.dumps(ORDER))
    inline["fields"][1]["type"] = MONEY
    return inline  # type: ignore[no-any-return]


def test_what_the_app_shows_is_written_back_as_the_bytes_it_came_from() -> None:
    body = avro_body(full_schema(), RECORD)
    shown = decode_record(frame_v0(8, body), schemas=DictSchemas({8: schema()}))
    assert shown.format == "avro", shown.error
    assert shown.data["lines"][0]["price"]["amount"] == "10.00"  # the forms shown
    assert shown.data["lines"][0]["shipped"] == "2026-12-06T10:00:00.123456Z"
    assert shown.data["total"]["currency"] == "RVVS" and shown.data["due"] == "2026-12-24"

    assert encode_body(shown.data, schema()) == body


def test_text_that_is_not_its_logical_type_is_refused_with_where_it_is() -> None:
    shown = decode_record(
        frame_v0(8, avro_body(full_schema(), RECORD)), schemas=DictSchemas({8: schema()})
    )
    data = json.loads(json.dumps(shown.data))
    data["lines"][1]["price"]["amount"] = "ten"
    with pytest.raises(DoesNotFit, match=r"^lines\[1\]\.price\.amount: 'ten' is not a decimal$"):
        encode_body(data, schema())
    data["lines"][1]["price"]["amount"] = "10"
    data["blob"] = "not base64!"
    with pytest.raises(DoesNotFit, match=r"^blob: 'not base64!' is not base64 bytes$"):
        encode_body(data, schema())


TS = {"type": "long", "logicalType": "timestamp-millis"}
PLACED = {
    "type": "record",
    "name": "Placed",
    "namespace": "shop",
    "fields": [{"name": "orderId", "type": "string"}],
}
SHIPPED = {
    "type": "record",
    "name": "Shipped",
    "namespace": "shop",
    "fields": [{"name": "orderId", "type": "string"}, {"name": "at", "type": TS}],
}
ENVELOPE = {
    "type": "record",
    "name": "Envelope",
    "namespace": "shop",
    "fields": [{"name": "payload", "type": [PLACED, SHIPPED]}],
}
SHOWN = {"orderId": "o-1", "at": "2026-01-01T00:00:00Z"}  # as the details pane shows it
WRITTEN = {"orderId": "o-1", "at": 1767225600000}  # as fastavro takes it


@pytest.mark.parametrize(
    ("schema", "data", "written"),
    [
        ([PLACED, SHIPPED], SHOWN, WRITTEN),  # one topic, several record types
        (ENVELOPE, {"payload": SHOWN}, {"payload": WRITTEN}),  # a field of either record
    ],
)
def test_a_union_of_records_takes_the_record_the_data_fits_with_its_shown_forms(
    schema: object, data: dict[str, object], written: dict[str, object]
) -> None:
    text = json.dumps(schema)
    body = encode_body(data, Schema(AVRO, text, id=5))
    assert body == avro_body(schema, written)  # type: ignore[arg-type]
    decoded = decode_record(frame_v0(5, body), schemas=DictSchemas({5: Schema(AVRO, text, id=5)}))
    assert decoded.data == data

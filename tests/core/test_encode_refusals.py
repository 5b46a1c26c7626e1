"""Encoding JSON with a schema for publishing: each refusal names the field and says what
is wrong, a nested Protobuf message is chosen by name, and a timestamp without a zone is
UTC whatever the machine's zone."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from monitor.core.decoding import decode_record
from monitor.core.formats.encode import (
    DoesNotFit,
    encode_body,
    encode_with_schema,
    message_choice,
    schema_messages,
)
from monitor.core.formats.framing import frame_v0
from monitor.core.formats.schemas import AVRO, JSON_SCHEMA, Schema
from tests.core.test_formats import (
    ORDER_AVSC,
    DictSchemas,
    avro_body,
    avro_schema,
    order_proto,
    proto_schema,
)

GOOD = {
    "orderId": "o-1",
    "correlationId": "c-42",
    "amount": "12.50",
    "at": "2026-12-06T10:00:00.123Z",
    "day": "2026-12-06",
    "ref": "12345678-1234-5678-1234-567812345678",
}


def refusal(data: object, schema: Schema | None = None) -> str:
    with pytest.raises(DoesNotFit) as caught:
        encode_with_schema(data, schema or avro_schema())
    return str(caught.value)


def test_avro_refusals_name_the_field_and_the_reason() -> None:
    assert encode_with_schema(GOOD, avro_schema())[:5] == frame_v0(42, b"")
    missing = {k: v for k, v in GOOD.items() if k != "correlationId"}
    assert (
        refusal(missing) == "correlationId is missing, and com.acme.orders.OrderPlaced requires it"
    )
    assert refusal({**GOOD, "orderId": 5}) == "orderId: 5 is a number; the schema wants a string"
    assert refusal({**GOOD, "correlationId": None}) == (
        "correlationId: null is given; the schema wants a string"
    )
    assert refusal({**GOOD, "amount": "1.505"}) == (
        "amount: 1.505 has 3 decimal places; the schema allows 2"
    )
    assert refusal({**GOOD, "amount": "12345678.5"}) == (
        "amount: 12345678.5 has 8 digits before the point; the schema allows 7 "
        "(precision 9, scale 2)"
    )
    assert refusal({**GOOD, "amount": "NaN"}) == "amount: NaN is not a decimal number"
    # fastavro would drop it and write the record: the sender would believe it was sent.
    assert refusal({**GOOD, "bogus": 1}) == "bogus is not a field of com.acme.orders.OrderPlaced"
    assert refusal({**GOOD, "note": 5}) == "note: 5 is a number; the schema wants null or a string"
    assert refusal({**GOOD, "at": True}) == (
        "at: true is true/false; the schema wants a timestamp (RFC 3339 text or a number "
        "since the epoch)"
    )
    assert refusal({**GOOD, "ref": "12345678"}) == "ref: '12345678' is not a UUID"
    assert refusal([GOOD]) == (
        "a list is given; the schema wants a com.acme.orders.OrderPlaced record (an object)"
    )


def test_a_decimal_is_text_or_a_whole_number_never_a_fraction_read_as_a_double() -> None:
    assert refusal({**GOOD, "amount": 1.5}) == (
        'amount: 1.5 is a JSON number; write a decimal as text, e.g. "1.5", so that it is exact'
    )
    whole = encode_with_schema({**GOOD, "amount": 12}, avro_schema())
    assert whole == encode_with_schema({**GOOD, "amount": "12.00"}, avro_schema())
    back = decode_record(whole, schemas=DictSchemas({42: avro_schema()}))
    assert back.data["amount"] == "12.00"


def test_nested_records_enums_ints_and_unions_say_where_inside() -> None:
    line = {"type": "record", "name": "Line", "namespace": "shop", "fields": [
        {"name": "sku", "type": "string"},
        {"name": "qty", "type": "int"},
        {"name": "state", "type": {"type": "enum", "name": "State",
                                   "symbols": ["OPEN", "SHIPPED"]}},
    ]}  # fmt: skip
    order = {"type": "record", "name": "Order", "namespace": "shop", "fields": [
        {"name": "lines", "type": {"type": "array", "items": line}},
        {"name": "gift", "type": ["null", {"type": "record", "name": "Gift", "fields": [
            {"name": "to", "type": "string"}]}], "default": None},
    ]}  # fmt: skip
    schema = Schema(AVRO, json.dumps(order), id=5)
    ok = {"sku": "A", "qty": 1, "state": "OPEN"}
    assert refusal({"lines": [ok, {**ok, "qty": 2**31}]}, schema) == (
        "lines[1].qty: 2147483648 is beyond the range of an int"
    )
    assert refusal({"lines": [{**ok, "state": "SHIPPD"}]}, schema) == (
        "lines[0].state: 'SHIPPD' is not one of OPEN, SHIPPED"
    )
    assert refusal({"lines": [{**ok, "colour": "red"}]}, schema) == (
        "lines[0].colour is not a field of shop.Line"
    )
    # The union's one record branch gives the precise reason, not "an object; wants ...".
    assert refusal({"lines": [], "gift": {"to": 7}}, schema) == (
        "gift.to: 7 is a number; the schema wants a string"
    )
    # A field with a default may be left out: it is written with the default.
    body = encode_body({"lines": [ok]}, schema)
    assert body == avro_body(order, {"lines": [ok], "gift": None})


@pytest.fixture
def new_york() -> Iterator[None]:
    """The machine's zone is New York (5 hours behind UTC in December)."""
    # The tests run on POSIX machines (CI, the installers' builders), which all have it: a
    # platform without it fails here, loudly, rather than passing these tests unchecked.
    assert hasattr(time, "tzset"), "these tests change the machine's zone with time.tzset"
    import os

    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    assert time.localtime(0).tm_hour == 19  # the zone did change: 1969-12-31 19:00
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_a_timestamp_without_a_zone_is_utc_in_any_machine_zone(new_york: None) -> None:
    utc = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
    expected = avro_body(ORDER_AVSC, {**json.loads(json.dumps(GOOD)), "at": utc,
                                      "amount": Decimal("12.50")})  # fmt: skip
    for text in ("2026-12-06 10:00", "2026-12-06T10:00:00", "2026-12-06T05:00:00-05:00"):
        assert encode_body({**GOOD, "at": text}, avro_schema()) == expected, text
    shown = decode_record(
        encode_with_schema({**GOOD, "at": "2026-12-06 10:00"}, avro_schema()),
        schemas=DictSchemas({42: avro_schema()}),
    )
    assert shown.data["at"] == "2026-12-06T10:00:00Z"


def test_a_local_timestamp_keeps_its_wall_clock_time(new_york: None) -> None:
    local = {"type": "record", "name": "Shift", "fields": [
        {"name": "starts", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
    ]}  # fmt: skip
    body = encode_body({"starts": "2026-12-06 10:00"}, Schema(AVRO, json.dumps(local), id=1))
    assert body == avro_body(local, {"starts": dt.datetime(2026, 12, 6, 10, 0)})


def test_a_nested_protobuf_message_is_chosen_by_name() -> None:
    schema = proto_schema(order_proto())
    assert schema_messages(schema) == ["acme.Envelope", "acme.Envelope.Shipped", "acme.Order"]
    shipped = {"orderId": "o-1", "correlationId": "c-9", "at": "2026-12-06T10:00:00.500Z"}
    for name in ("acme.Envelope.Shipped", "Envelope.Shipped", "Shipped", ".acme.Envelope.Shipped"):
        assert message_choice(schema, name) == ((0, 0), "acme.Envelope.Shipped")
    value = encode_with_schema(shipped, schema, "Shipped")
    assert value[5:8] == b"\x04\x00\x00"  # the index list [0, 0], as the serializer writes it
    back = decode_record(value, schemas=DictSchemas({9: schema}))
    assert back.type == "acme.Envelope.Shipped" and back.data == shipped
    assert encode_with_schema({"orderId": "o-2"}, schema, "acme.Order")[5:7] == b"\x02\x02"  # [1]

    with pytest.raises(ValueError) as unknown:
        encode_with_schema(shipped, schema, "Shipping")
    assert str(unknown.value) == (
        "the schema has no message Shipping; its messages: acme.Envelope, "
        "acme.Envelope.Shipped, acme.Order"
    )
    with pytest.raises(ValueError, match="only a Protobuf schema has messages"):
        encode_with_schema(GOOD, avro_schema(), "Shipped")


def test_no_message_named_is_the_first_and_the_refusal_names_the_one_the_data_fits() -> None:
    schema = proto_schema(order_proto())
    with pytest.raises(DoesNotFit) as caught:
        encode_with_schema({"correlationId": "c-9", "at": "2026-12-06T10:00:00Z"}, schema)
    assert str(caught.value) == "correlationId is not a field of acme.Envelope"
    assert caught.value.fits == ("acme.Envelope.Shipped",)  # not guessed: said
    with pytest.raises(DoesNotFit) as neither:
        encode_with_schema({"nothing": 1}, schema)
    assert neither.value.fits == ()
    wrong = r"^orderId: a number is given; the schema wants a string$"
    with pytest.raises(DoesNotFit, match=wrong):
        encode_with_schema({"orderId": 5}, schema, "Shipped")


def test_json_schema_says_a_required_property_is_missing() -> None:
    doc = {"type": "object", "required": ["orderId"], "properties": {
        "orderId": {"type": "string"},
        "line": {"type": "object", "required": ["sku"]}}}  # fmt: skip
    schema = Schema(JSON_SCHEMA, json.dumps(doc), id=3)
    assert refusal({}, schema) == "orderId is missing, and the schema requires it"
    assert refusal({"orderId": "o", "line": {}}, schema) == (
        "line.sku is missing, and the schema requires it"
    )


def test_a_protobuf_timestamp_follows_the_apps_rules_in_any_machine_zone(new_york: None) -> None:
    schema = proto_schema(order_proto())
    shown = {"orderId": "o-1", "correlationId": "c-9", "at": "2026-12-06T10:00:00Z"}
    written = encode_with_schema(shown, schema, "Shipped")
    # Without a zone it is UTC (not New York's time), and a space may stand for the T.
    for at in ("2026-12-06T10:00:00", "2026-12-06 10:00:00Z", "2026-12-06T05:00:00-05:00"):
        assert encode_with_schema({**shown, "at": at}, schema, "Shipped") == written
    with pytest.raises(DoesNotFit, match=r"^at: 'yesterday' is not a time; write it like "):
        encode_with_schema({**shown, "at": "yesterday"}, schema, "Shipped")
    with pytest.raises(DoesNotFit, match=r"^at: 1796551200 is a number; write a time as text"):
        encode_with_schema({**shown, "at": 1796551200}, schema, "Shipped")

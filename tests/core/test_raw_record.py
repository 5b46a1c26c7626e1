"""A dead letter's record as it came, sent again as it was, and edited in its own format."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from pathlib import Path

import cbor2
import msgpack
import pytest

from monitor.core.dead_letter_service import DeadLetterService
from monitor.core.deadletters import DeadLetter
from monitor.core.decoding import decode_record
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.formats.framing import frame_v0
from monitor.core.formats.schemas import JSON_SCHEMA, Schema
from monitor.core.raw_record import (
    REPLAY_COUNT_HEADER,
    REPLAY_HEADER,
    EditRefused,
    RawRecord,
    edited_record,
)
from tests.core.test_formats import (
    ORDER,
    ORDER_AVSC,
    DictSchemas,
    avro_body,
    avro_schema,
    order_proto,
    proto_schema,
    shipped_body,
)


def event(fmt: str | None, data: object, **fields: object) -> Envelope:
    return Envelope(type="T", source="kafka", data=data, format=fmt, **fields)  # type: ignore[arg-type]


def test_a_replay_drops_failure_headers_and_an_earlier_marker_and_adds_its_own() -> None:
    record = RawRecord(
        b"v",
        b"k",
        (
            ("x-tenant", b"acme"),
            ("kafka_dlt-exception-fqcn", b"Boom"),
            ("__connect.errors.topic", b"orders"),
            (REPLAY_HEADER, b"old-letter"),
            (REPLAY_COUNT_HEADER, b"1"),
        ),
    )
    sent = record.for_replay("new-letter", 2)
    assert (sent.value, sent.key) == (b"v", b"k")
    assert sent.headers == (
        ("x-tenant", b"acme"),
        (REPLAY_HEADER, b"new-letter"),
        (REPLAY_COUNT_HEADER, b"2"),
    )
    assert RawRecord.from_json(record.to_json()) == record


def test_an_edit_keeps_what_it_did_not_touch() -> None:
    record = RawRecord(b'{ "a": 1 }', b"k", (("bin", bytes([0, 1, 2])), ("x", b"1")))
    before = event(None, {"a": 1}, headers={"bin": "\\x00\\x01\\x02", "x": "1"}, key="k")
    after = event(None, {"a": 1}, headers={"bin": "\\x00\\x01\\x02", "x": "2"}, key="k")
    edited = edited_record(record, before, after)
    assert edited.value == b'{ "a": 1 }'  # the payload was not edited: its bytes stay
    assert edited.headers == (("bin", bytes([0, 1, 2])), ("x", b"2"))


def test_a_json_schema_payload_keeps_its_framing_when_edited() -> None:
    framed = b"\x00\x00\x00\x00\x07" + b'{"a": 1}'
    edited = edited_record(
        RawRecord(framed), event("json-schema", {"a": 1}), event("json-schema", {"a": 2})
    )
    assert edited.value == b"\x00\x00\x00\x00\x07" + b'{"a":2}'


def test_msgpack_and_cbor_payloads_are_encoded_again_in_their_format() -> None:
    packed = edited_record(
        RawRecord(msgpack.packb({"a": 1})), event("msgpack", {"a": 1}), event("msgpack", {"a": 2})
    )
    assert msgpack.unpackb(packed.value) == {"a": 2}
    cbor = edited_record(
        RawRecord(cbor2.dumps({"a": 1})), event("cbor", {"a": 1}), event("cbor", {"a": 2})
    )
    assert cbor2.loads(cbor.value) == {"a": 2}


def test_an_avro_edit_without_its_schema_is_refused_and_the_letter_stays_as_it_was(
    tmp_path: Path,
) -> None:
    avro = event("avro", {"total": "12.50"}, schema={"id": 42, "subject": "orders-value"})
    letter = DeadLetter(
        id="kafka:orders.DLT:0:7",
        event=avro,
        reason="Boom",
        original_topic="orders",
        origin="kafka:local",
        record=RawRecord(b"\x00\x00\x00\x00\x2a\x0212.50"),
    )
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([letter])
        changed = Envelope.from_dict({**avro.to_dict(), "data": {"total": "13.00"}})
        with pytest.raises(
            EditRefused, match=r"avro \(orders-value, schema id 42\).*schema registry"
        ):
            log.update_dead_letter_event(letter.id, changed)
        stored = log.dead_letter(letter.id)
        assert stored.record == letter.record and stored.event.data == {"total": "12.50"}
        assert log.actions(letter.id) == []


# --- schema-encoded payloads, encoded again with the schema they were decoded with ---


def edited_twin(before: Envelope, **data: object) -> Envelope:
    return Envelope.from_dict({**before.to_dict(), "data": {**before.data, **data}})


def test_an_avro_edit_is_encoded_with_the_same_schema_behind_the_same_prefix() -> None:
    schemas = DictSchemas({42: avro_schema()})
    record = RawRecord(frame_v0(42, avro_body(ORDER_AVSC, ORDER)), b"o-1")
    before = decode_record(record.value, topic="orders", schemas=schemas)
    # The forms the details pane shows: a decimal as text, an RFC 3339 time, a date.
    after = edited_twin(before, amount="13.75", at="2026-12-07T08:30:00.250Z", day="2026-12-07")

    edited = edited_record(record, before, after, avro_schema())

    assert edited.value is not None and edited.value[:5] == record.value[:5]  # id 42
    again = decode_record(edited.value, topic="orders", schemas=schemas)
    assert again.format == "avro" and again.schema is not None and again.schema["id"] == 42
    assert again.data == after.data and edited.key == b"o-1"


def test_an_avro_edit_that_does_not_fit_is_refused_naming_the_field() -> None:
    schemas = DictSchemas({42: avro_schema()})
    record = RawRecord(frame_v0(42, avro_body(ORDER_AVSC, ORDER)))
    before = decode_record(record.value, topic="orders", schemas=schemas)
    with pytest.raises(EditRefused, match=r"does not fit orders-value.*orderId"):
        edited_record(record, before, edited_twin(before, orderId=17), avro_schema())
    with pytest.raises(EditRefused, match="amount: 'lots' is not a decimal"):
        edited_record(record, before, edited_twin(before, amount="lots"), avro_schema())


def test_a_nested_protobuf_edit_keeps_its_message_index_list() -> None:
    schema = proto_schema(order_proto())
    # [0, 0] written long-hand (count 2, then 0, 0): kept byte for byte, not shortened.
    record = RawRecord(frame_v0(9, b"\x04\x00\x00" + shipped_body()))
    before = decode_record(record.value, schemas=DictSchemas({9: schema}))
    assert before.type == "acme.Envelope.Shipped"

    edited = edited_record(record, before, edited_twin(before, orderId="o-2"), schema)

    assert edited.value is not None and edited.value[:8] == record.value[:8]
    again = decode_record(edited.value, schemas=DictSchemas({9: schema}))
    assert again.type == "acme.Envelope.Shipped"
    assert again.data == {**before.data, "orderId": "o-2"}
    with pytest.raises(EditRefused, match=r"orderId|order_id"):
        edited_record(record, before, edited_twin(before, orderId={"not": "text"}), schema)


def test_an_avro_value_framed_by_a_guid_header_keeps_the_header_and_a_bare_body() -> None:
    schema = avro_schema()
    schema.guid = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    header = b"\x01" + uuid.UUID(schema.guid).bytes
    record = RawRecord(avro_body(ORDER_AVSC, ORDER), None, (("__value_schema_id", header),))
    before = decode_record(
        record.value, headers=record.headers, topic="orders", schemas=DictSchemas({42: schema})
    )
    assert before.format == "avro", before.error

    edited = edited_record(record, before, edited_twin(before, orderId="o-9"), schema)

    assert edited.headers == record.headers
    assert edited.value == avro_body(ORDER_AVSC, {**ORDER, "orderId": "o-9"})


def test_the_service_waits_for_a_pending_schema_then_saves_the_edit(tmp_path: Path) -> None:
    schemas = DictSchemas({42: avro_schema()}, pending={42})
    record = RawRecord(frame_v0(42, avro_body(ORDER_AVSC, ORDER)))
    before = decode_record(
        record.value, topic="orders.DLT", schemas=DictSchemas({42: avro_schema()})
    )
    letter = DeadLetter(
        id="kafka:orders.DLT:0:1", event=before, reason="Boom", original_topic="orders",
        origin="kafka:local", record=record,
    )  # fmt: skip

    async def edit() -> DeadLetter:
        service = DeadLetterService(log)
        saving = asyncio.ensure_future(
            service.edit(letter.id, edited_twin(before, orderId="o-5"), schemas)
        )
        while not schemas.callbacks:  # the service asked and is waiting for the fetch
            await asyncio.sleep(0.01)
        schemas.pending.clear()  # the fetch ends: the source calls back from its thread
        threading.Thread(target=schemas.callbacks.pop()).start()
        return await saving

    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([letter])
        saved = asyncio.run(edit())
        assert saved.record is not None and saved.record.value is not None
        again = decode_record(saved.record.value, schemas=DictSchemas({42: avro_schema()}))
        assert again.data["orderId"] == "o-5" and again.schema["id"] == 42  # type: ignore[index]
        assert [a.action for a in log.actions(letter.id)] == ["edit"]

        # No schema source at all (no registry configured): refused, saying what to do.
        with pytest.raises(EditRefused, match="schema registry"):
            asyncio.run(DeadLetterService(log).edit(letter.id, edited_twin(before, orderId="o-6")))
        assert log.dead_letter(letter.id).record == saved.record


def test_a_v1_guid_prefix_stays_in_front_of_the_new_body() -> None:
    schema = avro_schema()
    schema.guid = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
    prefix = b"\x01" + uuid.UUID(schema.guid).bytes
    record = RawRecord(prefix + avro_body(ORDER_AVSC, ORDER))
    before = decode_record(record.value, topic="orders", schemas=DictSchemas({42: schema}))
    assert before.format == "avro", before.error

    edited = edited_record(record, before, edited_twin(before, note="gift"), schema)

    assert edited.value == prefix + avro_body(ORDER_AVSC, {**ORDER, "note": "gift"})


def test_protobuf_framed_by_a_header_keeps_its_message_indexes_in_the_header() -> None:
    schema = proto_schema(order_proto())
    schema.guid = "aa1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
    header = b"\x01" + uuid.UUID(schema.guid).bytes + b"\x04\x00\x00"  # GUID, then [0, 0]
    record = RawRecord(shipped_body(), None, (("__value_schema_id", header),))
    before = decode_record(record.value, headers=record.headers, schemas=DictSchemas({9: schema}))
    assert before.type == "acme.Envelope.Shipped", before.error

    edited = edited_record(record, before, edited_twin(before, correlationId="c-10"), schema)

    assert edited.headers == record.headers  # the reference and the indexes, as they were
    again = decode_record(edited.value, headers=edited.headers, schemas=DictSchemas({9: schema}))
    assert again.type == "acme.Envelope.Shipped" and again.data["correlationId"] == "c-10"


def test_a_json_schema_edit_is_checked_against_its_schema_when_it_can_be_had() -> None:
    doc = {"type": "object", "properties": {"amount": {"type": "number"}}, "required": ["amount"]}
    schema = Schema(JSON_SCHEMA, json.dumps(doc), id=3, subject="pay-value", version=2)
    record = RawRecord(frame_v0(3, b'{"amount": 5}'))
    before = decode_record(record.value, schemas=DictSchemas({3: schema}))
    assert before.format == "json-schema", before.error

    fits = edited_record(record, before, edited_twin(before, amount=7.5), schema)
    assert fits.value == frame_v0(3, b'{"amount":7.5}')
    with pytest.raises(EditRefused, match=r"pay-value.*\$\.amount: 'five' is not of type"):
        edited_record(record, before, edited_twin(before, amount="five"), schema)

"""A dead letter's record as it came, sent again as it was, and edited in its own format."""

from __future__ import annotations

from pathlib import Path

import cbor2
import msgpack
import pytest

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.raw_record import (
    REPLAY_COUNT_HEADER,
    REPLAY_HEADER,
    EditRefused,
    RawRecord,
    edited_record,
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


def test_an_avro_payload_edit_is_refused_and_the_letter_stays_as_it_was(tmp_path: Path) -> None:
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
        with pytest.raises(EditRefused, match="avro \\(orders-value\\)"):
            log.update_dead_letter_event(letter.id, changed)
        stored = log.dead_letter(letter.id)
        assert stored.record == letter.record and stored.event.data == {"total": "12.50"}
        assert log.actions(letter.id) == []

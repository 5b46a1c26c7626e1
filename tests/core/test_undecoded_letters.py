"""Dead letters read undecoded, decoded from the bytes they kept once their schema can be
had, and stored back in the log -- never over an edit made meanwhile, never with another
cluster's schemas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.core.deadletters import DeadLetter
from monitor.core.decoding import decode_record
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.formats.framing import frame_v0
from monitor.core.formats.schemas import LocalSchemas, SchemaFile
from monitor.core.raw_record import RawRecord
from monitor.core.redecode import Redecoder
from monitor.core.undecoded_letters import can_decode_letter, decode_letters
from tests.core.test_redecode import ORDER, TOPIC, avro

CLUSTER = "broker-a:9092"
VALUE = frame_v0(7, avro(ORDER, {"orderId": "o-9", "correlationId": "c-9", "note": "okapi"}))
# Spring's binary offset: not text, kept as bytes by the record.
HEADERS = (("kafka_dlt-original-offset", (5).to_bytes(8, "big")), ("x-tenant", b"acme"))


@pytest.fixture
def schemas(tmp_path: Path) -> LocalSchemas:
    """The order schema for the dead-letter topic's values."""
    order = tmp_path / "order.avsc"
    order.write_text(json.dumps(ORDER))
    return LocalSchemas([SchemaFile(f"{TOPIC}.DLT", str(order))])


def undecoded_letter(schemas: LocalSchemas | None = None, n: int = 0) -> DeadLetter:
    event = decode_record(
        VALUE,
        list(HEADERS),
        key=b"o-9",
        topic=f"{TOPIC}.DLT",
        partition=0,
        offset=n,
        timestamp_ms=1796551200000,
        schemas=schemas,
    )
    return DeadLetter(
        id=f"kafka:{TOPIC}.DLT:0:{n}",
        event=event,
        reason="java.lang.IllegalStateException: no stock",
        original_topic=TOPIC,
        origin=f"kafka:{CLUSTER}",
        record=RawRecord(VALUE, b"o-9", HEADERS),
    )


def test_a_letter_is_decoded_from_its_record_and_stored(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    letter = undecoded_letter()
    assert letter.event.undecoded and can_decode_letter(letter, CLUSTER)
    live = undecoded_letter(schemas).event  # what a tail with the schema makes of it
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([letter])
        letters = log.dead_letters()
        assert decode_letters(log, Redecoder(schemas), letters, cluster=CLUSTER) == 1
        assert letters[0].event == live and letters[0].event.data["note"] == "okapi"
        stored = log.dead_letter(letter.id)
        assert stored.event.to_dict() == live.to_dict()
        assert stored.event.correlation_id == "c-9"
        # What a replay sends, and the failure, are as they were; no edit is recorded.
        assert stored.record == letter.record and stored.reason == letter.reason
        assert log.actions(letter.id) == []


def test_a_letter_of_another_cluster_is_left_undecoded(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([undecoded_letter()])
        letters = log.dead_letters()
        assert decode_letters(log, Redecoder(schemas), letters, cluster="other:9092") == 0
        assert letters[0].event.undecoded and log.dead_letters()[0].event.undecoded


def test_a_decode_never_overwrites_an_edit_made_meanwhile(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([undecoded_letter()])
        letters = log.dead_letters()  # read undecoded...
        read = letters[0].event
        edited = Envelope.from_dict({**read.to_dict(), "headers": {"x-tenant": "globex"}})
        log.update_dead_letter_event(read_id := letters[0].id, edited)  # ...edited meanwhile
        decode_letters(log, Redecoder(schemas), letters)
        stored = log.dead_letter(read_id)
        assert stored.event.undecoded and stored.event.headers == {"x-tenant": "globex"}


def test_a_letter_that_stays_undecoded_keeps_the_newer_reason(tmp_path: Path) -> None:
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([undecoded_letter()])
        assert "no schema registry is configured" in (log.dead_letters()[0].event.error or "")
        letters = log.dead_letters()
        assert decode_letters(log, Redecoder(LocalSchemas([])), letters) == 0
        stored = log.dead_letters()[0].event
        assert stored.undecoded and "no local schema file matches" in (stored.error or "")
        assert stored.raw == VALUE

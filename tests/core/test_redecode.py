"""Records kept undecoded (no schema at the time), decoded again later with the tail's
decoder: the same envelopes a live decode gives, in memory and in the log."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import fastavro
import pytest

from monitor.core.decoding import decode_record
from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter
from monitor.core.eventlog import EventLog
from monitor.core.formats.framing import frame_v0
from monitor.core.formats.schemas import LocalSchemas, SchemaFile
from monitor.core.redecode import Redecoder, bytes_of, can_redecode, redecode, take_decoded

TOPIC = "shop.orders"
ORDER = {
    "type": "record",
    "name": "OrderPlaced",
    "namespace": "com.acme",
    "fields": [
        {"name": "orderId", "type": "string"},
        {"name": "correlationId", "type": "string"},
        {"name": "note", "type": "string"},
    ],
}


def avro(schema: object, value: object) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return out.getvalue()


@pytest.fixture
def schemas(tmp_path: Path) -> LocalSchemas:
    order = tmp_path / "order.avsc"
    order.write_text(json.dumps(ORDER))
    key = tmp_path / "key.avsc"
    key.write_text('"string"')
    return LocalSchemas([SchemaFile(TOPIC, str(order)), SchemaFile(TOPIC, str(key), True)])


# Each: value, headers, key, timestamp (ms).
RECORDS = [
    (
        frame_v0(7, avro(ORDER, {"orderId": "o-1", "correlationId": "c-1", "note": "zebra"})),
        [("trace", b"abc"), ("bin", b"\xff\x00\x80\xc3\xa9 \\ end"), ("empty", None)],
        b"o-1",
        1796551200123,
    ),
    (
        frame_v0(7, avro(ORDER, {"orderId": "o-2", "correlationId": "c-1", "note": "yak"})),
        [],
        frame_v0(8, avro("string", "o-2")),  # a key of its own schema, undecoded too
        1796551201000,
    ),
    (
        frame_v0(7, avro(ORDER, {"orderId": "o-3", "correlationId": "c-3", "note": "x"})),
        None,
        b"\xfe\xff binary key",
        1796551202000,
    ),
]


def decoded(schemas: object | None) -> list[Envelope]:
    return [
        decode_record(
            value,
            headers,
            key=key,
            topic=TOPIC,
            partition=2,
            offset=i,
            timestamp_ms=stamp,
            schemas=schemas,  # type: ignore[arg-type]
        )
        for i, (value, headers, key, stamp) in enumerate(RECORDS)
    ]


def test_escaped_text_gives_back_its_bytes() -> None:
    for raw in (b"", b"plain", b"\x00\x01\x7f", b"\xff\xfe", b"caf\xc3\xa9\x80", os.urandom(64)):
        assert bytes_of(raw.decode("utf-8", "backslashreplace")) == raw


def test_a_late_decode_is_what_a_live_decode_gives(schemas: LocalSchemas) -> None:
    undecoded = decoded(None)
    assert all(e.undecoded and can_redecode(e) for e in undecoded)
    assert undecoded[1].key_format == "undecoded"
    live = decoded(schemas)
    assert [e.format for e in live] == ["avro"] * 3 and live[1].key == "o-2"
    assert [redecode(e, schemas) for e in undecoded] == live
    # Nothing to wait for with local schemas: every one comes back at once.
    better = Redecoder(schemas).resolve_blocking(undecoded, wait=0)
    assert [better[i] for i in range(3)] == live


def test_a_source_without_the_schema_leaves_them_undecoded_with_its_newer_reason() -> None:
    undecoded = decoded(None)
    assert "no schema registry is configured" in (undecoded[0].error or "")
    retried = Redecoder(LocalSchemas([])).resolve_blocking(undecoded, wait=0)
    # Still undecoded, each of them, but for the reason that holds now.
    assert sorted(retried) == [0, 1, 2]
    assert all(e.undecoded and e.raw == undecoded[i].raw for i, e in retried.items())
    assert all("no local schema file matches" in (e.error or "") for e in retried.values())
    # Tried again with the same source: nothing new to keep.
    again = [retried[i] for i in range(3)]
    assert Redecoder(LocalSchemas([])).resolve_blocking(again, wait=0) == {}


def test_the_log_keeps_the_newer_reason_and_searches_look_again(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None))
        assert (
            log.search(EventFilter(text="zebra"), redecoder=Redecoder(LocalSchemas([]))).events
            == []
        )
        stored = [e for _, e in log.undecoded_rows()]
        assert len(stored) == 3
        assert all("no local schema file matches" in (e.error or "") for e in stored)
        # The rows were not taken for decoded: a search with the schema decodes them.
        found = log.search(EventFilter(text="zebra"), redecoder=Redecoder(schemas)).events
        assert [e.data["orderId"] for e in found] == ["o-1"] and not log.undecoded_rows()


def test_taking_the_decoded_form_changes_the_object_everyone_holds(
    schemas: LocalSchemas,
) -> None:
    (event, *_) = decoded(None)
    holders = [event]
    take_decoded(event, redecode(event, schemas))
    assert holders[0].format == "avro" and holders[0].data["note"] == "zebra"
    assert holders[0].raw is None and not holders[0].undecoded


def test_the_log_lists_and_searches_them_decoded_and_keeps_them_so(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    live = decoded(schemas)
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None))
        note = EventFilter(text="zebra")
        # Without the schema the note is bytes: no search can find it.
        assert log.search(note).events == []
        assert all(e.undecoded for e in log.events())
        found = log.search(note, redecoder=Redecoder(schemas)).events
        assert [e.data["orderId"] for e in found] == ["o-1"]
        # Stored decoded: every row now reads as a live decode logged would.
        stored = list(reversed(log.events()))
        assert [e.format for e in stored] == ["avro"] * 3 and not log.undecoded_rows()
        log.append(live)
        logged_live = list(reversed(log.events(limit=3)))
        assert [e.to_dict() for e in stored] == [e.to_dict() for e in logged_live]
        assert log.events(type="com.acme.OrderPlaced", limit=10)


def test_listing_decodes_only_what_it_lists_unless_a_type_is_asked(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    with EventLog(tmp_path / "events.db") as log:
        log.append(decoded(None))
        newest = log.events(limit=1, redecoder=Redecoder(schemas))
        assert newest[0].format == "avro" and newest[0].data["orderId"] == "o-3"
        assert len(log.undecoded_rows()) == 2
        # A type is known only once decoded: the whole log is decoded first.
        typed = log.events(type="com.acme.OrderPlaced", redecoder=Redecoder(schemas))
        assert [e.data["orderId"] for e in typed] == ["o-3", "o-2", "o-1"]
        assert log.undecoded_rows() == []


def test_searches_skip_rows_found_decoded_and_look_again_when_numbers_restart(
    schemas: LocalSchemas, tmp_path: Path
) -> None:
    redecoder = Redecoder(schemas)
    looked: list[tuple[int | None, int | None]] = []
    with EventLog(tmp_path / "events.db") as log:
        rows_of = log.undecoded_rows

        def counting(*, low: int | None = None, high: int | None = None, **more: Any) -> Any:
            looked.append((low, high))
            return rows_of(low=low, high=high, **more)

        log.undecoded_rows = counting  # type: ignore[method-assign]
        log.append(decoded(None))
        zebra = EventFilter(text="zebra")
        assert len(log.search(zebra, redecoder=redecoder).events) == 1
        assert looked
        # Found free of undecoded events: the next search does not look there again...
        looked.clear()
        assert len(log.search(zebra, redecoder=redecoder).events) == 1
        assert looked == []
        # ...but rows logged since are looked at.
        log.append(decoded(None)[:1])
        assert len(log.search(zebra, redecoder=redecoder).events) == 2
        assert looked
        # Retention emptied the log: SQLite numbers rows from 1 again, so the rows found
        # decoded before say nothing of the new ones.
        assert log.apply_retention(max_events=0) == 4
        log.append(decoded(None))
        looked.clear()
        found = log.search(zebra, redecoder=redecoder).events
        assert [e.format for e in found] == ["avro"] and looked

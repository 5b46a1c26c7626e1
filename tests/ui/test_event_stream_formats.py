"""The stream on a schema-encoded topic: a Format column, and a details pane that says
what the value and key were and which schema decoded them (or why it is undecoded)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from monitor.core.decoding import decode_record
from monitor.core.envelope import Envelope
from monitor.core.formats.framing import frame_v0
from monitor.core.formats.schemas import AVRO, JSON_SCHEMA, Schema
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.event_table_model import Column
from monitor.ui.live_feed import LiveFeed
from monitor.ui.views.event_stream import EventStreamView
from tests.core.test_formats import ORDER, ORDER_AVSC, DictSchemas, avro_body

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT_MS = 10_000
PAYMENT = {"title": "Payment", "type": "object", "properties": {"amount": {"type": "number"}}}


@pytest.fixture
def view(quiet_runtime: EmbeddedRuntime, qtbot: Any) -> Iterator[EventStreamView]:
    feed = LiveFeed(quiet_runtime.pipeline)
    feed.start()
    widget = EventStreamView(AppContext(runtime=quiet_runtime, feed=feed))
    qtbot.addWidget(widget)
    widget.resize(1024, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    feed.stop()


def schema_topic_records() -> list[Envelope]:
    """One record of each kind a schema-registry topic carries, decoded as a tail would."""
    schemas = DictSchemas(
        {
            42: Schema(AVRO, json.dumps(ORDER_AVSC), id=42, subject="orders-value", version=3),
            7: Schema(JSON_SCHEMA, json.dumps(PAYMENT), id=7, subject="payments-value", version=1),
        }
    )
    origin = {"topic": "orders.avro", "partition": 0, "schemas": schemas}
    return [
        decode_record(frame_v0(42, avro_body(ORDER_AVSC, ORDER)), key=b"o-1", offset=1, **origin),
        decode_record(frame_v0(7, b'{"amount": "five"}'), key=b"o-1", offset=2, **origin),
        decode_record(
            msgpack.packb({"type": "Reading", "celsius": 21.5}),
            [("content-type", b"application/msgpack")],
            offset=3,
            **origin,
        ),
        decode_record(b"plain text", offset=4, **origin),
        decode_record(None, key=b"o-1", offset=5, **origin),
        decode_record(frame_v0(99, b"\x02\x04ab"), offset=6, **origin),
    ]


def test_format_column_and_details_on_a_schema_topic(
    view: EventStreamView, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    events = schema_topic_records()
    quiet_runtime.pipeline.accept_many(events)
    model = view.live_model
    qtbot.waitUntil(lambda: model.rowCount() == len(events), timeout=WAIT_MS)
    shown = [model.index(r, Column.FORMAT).data() for r in range(model.rowCount())]
    assert shown == ["undecoded", "tombstone", "text", "msgpack", "json-schema", "avro"]
    avro_row = shown.index("avro")
    assert model.index(avro_row, Column.TYPE).data() == "com.acme.orders.OrderPlaced"
    tip = model.index(avro_row, Column.FORMAT).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "avro: orders-value v3, id 42, com.acme.orders.OrderPlaced"

    view.live_table.selectRow(avro_row)
    qtbot.waitUntil(lambda: view.details.current_event is events[0], timeout=WAIT_MS)
    text = view.details.text()
    assert "value format\tavro" in text or "value format avro" in text.replace("\n", " ")
    assert "orders-value v3, id 42, com.acme.orders.OrderPlaced" in text
    assert '"amount": "12.50"' in text and "2026-12-06T10:00:00.123Z" in text
    ARTIFACTS.mkdir(exist_ok=True)
    for _ in range(3):
        QApplication.sendPostedEvents()
    assert view.grab().save(str(ARTIFACTS / "event_stream_schema_avro.png"))

    undecoded_row = shown.index("undecoded")
    view.live_table.selectRow(undecoded_row)
    qtbot.waitUntil(lambda: view.details.current_event is events[-1], timeout=WAIT_MS)
    text = view.details.text()
    assert "Undecoded: kept as it came" in text
    assert "schema id 99: not found" in text and "RAW BYTES (9)" in text.upper()
    invalid_row = shown.index("json-schema")
    view.live_table.selectRow(invalid_row)
    qtbot.waitUntil(lambda: view.details.current_event is events[1], timeout=WAIT_MS)
    assert "no: $.amount: 'five' is not of type 'number'" in view.details.text()
    for _ in range(3):
        QApplication.sendPostedEvents()
    assert view.grab().save(str(ARTIFACTS / "event_stream_schema_json_invalid.png"))

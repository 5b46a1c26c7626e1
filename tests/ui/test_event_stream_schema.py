"""The details pane opens the schema an event was decoded with: records written by
Confluent's own serializers to the real test broker, tailed by the window's Kafka service
with the profile's registry (the tests' own), and the schema's text shown without the
window waiting; without a connection, or with a registry that cannot answer, the pane
says so."""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from PySide6.QtCore import Qt, QUrl

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import StartPosition
from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.main_window import MainWindow
from tests.adapters.broker import TansuBroker, free_port
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.adapters.test_schema_registry import ORDER_AVSC, shipped_class
from tests.ui.test_window_fits import LAPTOP_H, LAPTOP_W, save_shot

LEFT = Qt.MouseButton.LeftButton
WAIT_MS = 20_000


@pytest.fixture
def quiet_window(quiet_runtime: EmbeddedRuntime, qtbot: Any) -> Iterator[MainWindow]:
    """The main window with no demo: the stream shows only what the test sends."""
    win = MainWindow(quiet_runtime)
    win.resize(LAPTOP_W, LAPTOP_H)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if not win.is_closed():
        with qtbot.waitSignal(win.closed, timeout=20_000):
            win.close()
    win.deleteLater()


def produce_schema_records(broker: TansuBroker, registry: SchemaRegistryServer, topic: str) -> None:
    """An Avro order with a string key schema, and a nested Protobuf message."""
    sr = SchemaRegistryClient({"url": registry.url})
    value_ctx = SerializationContext(topic, MessageField.VALUE)
    order = AvroSerializer(sr, ORDER_AVSC)(
        {"orderId": "o-1", "correlationId": "c-1", "amount": decimal.Decimal("12.50"), "at": 0},
        value_ctx,
    )
    key = AvroSerializer(sr, '"string"')("o-1", SerializationContext(topic, MessageField.KEY))
    shipped_type = shipped_class()
    shipped = shipped_type(order_id="o-1", correlation_id="c-1")
    proto = ProtobufSerializer(shipped_type, sr, {"use.deprecated.format": False})
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    producer.produce(topic, value=order, key=key, partition=0)
    producer.produce(topic, value=proto(shipped, value_ctx), key=b"o-1", partition=0)
    producer.flush(10)


def select(window: MainWindow, qtbot: Any, wanted: Any) -> Envelope:
    """Select the first stream row whose event ``wanted(event)`` accepts."""
    model = window.stream.live_model

    def row() -> int | None:
        return next((r for r in range(model.rowCount()) if wanted(model.envelope(r))), None)

    qtbot.waitUntil(lambda: row() is not None, timeout=WAIT_MS)
    found = row()
    assert found is not None
    window.stream.live_table.selectRow(found)
    event = model.envelope(found)
    qtbot.waitUntil(lambda: window.stream.details.current_event is event, timeout=WAIT_MS)
    return event


def test_the_details_pane_shows_the_avro_and_protobuf_schemas_from_the_registry(
    quiet_window: MainWindow, broker: TansuBroker, run: Any, qtbot: Any
) -> None:
    window = quiet_window
    topic = "schema-pane-orders"
    details = window.stream.details
    with SchemaRegistryServer() as registry:
        run(create_topic(broker.bootstrap, topic))
        produce_schema_records(broker, registry, topic)
        profile = ConnectionProfile("shop", broker.bootstrap, registry_url=registry.url)
        window.show_view("stream")
        event = Envelope(type="OrderPlaced", source="bus")
        run(window.context.runtime.bus.publish(event, "orders"))
        select(window, qtbot, lambda e: e.id == event.id)
        assert not details.schema_button.isEnabled()  # no schema: nothing to show
        assert details.schema_button.toolTip() == "This event was not decoded with a schema"

        assert run(window.kafka.connect_profile(profile), timeout_ms=30_000)
        run(window.kafka.start_tail([topic], StartPosition("beginning")), timeout_ms=30_000)
        avro = select(window, qtbot, lambda e: e.topic == topic and e.format == "avro")
        assert avro.key_schema and avro.schema, avro.error
        assert details.schema_button.isEnabled()
        save_shot(window, "event_details_show_schema_1024x700.png")
        reads = registry.state.reads

        # Key and value both have a schema: the button asks which.
        qtbot.mouseClick(details.schema_button, LEFT)
        qtbot.waitUntil(details.schema_menu.isVisible, timeout=5_000)
        value_action, key_action = details.schema_menu.actions()
        details.schema_menu.hide()
        value_action.trigger()
        page = details.schema_page
        qtbot.waitUntil(lambda: '"name": "OrderPlaced"' in page.text(), timeout=WAIT_MS)
        assert details.showing_schema
        assert page.title.text() == (
            f"Value schema {topic}-value v1 (id {avro.schema['id']}) \u00b7 Avro"
        )
        assert '  "namespace": "com.acme",' in page.text().splitlines()
        assert '"logicalType": "decimal"' in page.text()
        assert registry.state.reads == reads  # the tail fetched it: the cache answered
        assert page.viewer.isReadOnly() and not page.message.isVisible()
        qtbot.waitUntil(lambda: window.stream.isVisible(), timeout=5_000)
        save_shot(window, "event_details_schema_avro_1024x700.png")

        key_action.trigger()
        # confluent-kafka registers a primitive as {"type": "string"}: shown as it is.
        qtbot.waitUntil(lambda: page.text() == '{\n  "type": "string"\n}', timeout=WAIT_MS)
        assert page.title.text().startswith(f"Key schema {topic}-key v1")

        qtbot.mouseClick(page.back_button, LEFT)
        assert not details.showing_schema and "OrderPlaced" in details.text()
        # The Format section links to both schemas too.
        links = " ".join(details.text().replace("\xa0", " ").split())
        assert "Show the value schema \u00b7 Show the key schema" in links
        details.browser.anchorClicked.emit(QUrl("schema:key"))
        qtbot.waitUntil(lambda: page.title.text().startswith("Key schema"), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: '"type": "string"' in page.text(), timeout=WAIT_MS)
        qtbot.mouseClick(page.back_button, LEFT)

        select(window, qtbot, lambda e: e.topic == topic and e.format == "protobuf")
        qtbot.mouseClick(details.schema_button, LEFT)  # a value schema only: no menu
        qtbot.waitUntil(lambda: "message Shipped {" in page.text(), timeout=WAIT_MS)
        lines = page.text().splitlines()
        for line in (
            "package acme;",
            'import "google/protobuf/timestamp.proto";',
            "message Envelope {",
            "    string order_id = 1;",
            "    google.protobuf.Timestamp at = 3;",
        ):
            assert line in lines, page.text()
        assert page.title.text().endswith("\u00b7 Protobuf")
        save_shot(window, "event_details_schema_protobuf_1024x700.png")


def test_the_pane_says_why_a_schema_cannot_be_shown(
    quiet_window: MainWindow, broker: TansuBroker, run: Any, qtbot: Any, tmp_path: Path
) -> None:
    window = quiet_window
    details = window.stream.details
    page = details.schema_page
    window.show_view("stream")
    # An Avro event as a tail logged it, its schema id 41 unknown to the registry.
    logged = Envelope(type="com.acme.OrderPlaced", source="kafka://orders")
    logged.topic, logged.format = "orders", "avro"
    logged.schema = {"id": 41, "subject": "orders-value", "version": 2}
    window.context.runtime.pipeline.accept_many([logged])
    select(window, qtbot, lambda e: e.id == logged.id)

    qtbot.mouseClick(details.schema_button, LEFT)
    qtbot.waitUntil(lambda: "not connected to Kafka" in page.message.text(), timeout=WAIT_MS)
    assert page.message.isVisible() and not page.viewer.isVisible()
    assert page.title.text() == "Value schema orders-value v2 (id 41)"

    plain = ConnectionProfile("plain", broker.bootstrap)
    assert run(window.kafka.connect_profile(plain), timeout_ms=30_000)
    qtbot.mouseClick(page.back_button, LEFT)
    qtbot.mouseClick(details.schema_button, LEFT)
    qtbot.waitUntil(lambda: "no schema registry" in page.message.text(), timeout=WAIT_MS)
    assert "Add its registry URL in Connections" in page.message.text()

    with SchemaRegistryServer() as registry:
        with_registry = replace(plain, name="shop", registry_url=registry.url)
        assert run(window.kafka.connect_profile(with_registry), timeout_ms=30_000)
        qtbot.mouseClick(page.back_button, LEFT)
        qtbot.mouseClick(details.schema_button, LEFT)
        qtbot.waitUntil(lambda: "was not found" in page.message.text(), timeout=WAIT_MS)
        assert page.message.text().startswith("The schema cannot be had: schema id 41:")

    down = f"http://127.0.0.1:{free_port()}"
    assert run(
        window.kafka.connect_profile(replace(plain, name="down", registry_url=down)),
        timeout_ms=30_000,
    )
    qtbot.mouseClick(page.back_button, LEFT)
    qtbot.mouseClick(details.schema_button, LEFT)
    qtbot.waitUntil(lambda: "cannot reach the registry" in page.message.text(), timeout=WAIT_MS)
    save_shot(window, "event_details_schema_unavailable_1024x700.png")

    # Another event selected: the envelope is shown again.
    other = Envelope(type="Other", source="bus")
    window.context.runtime.pipeline.accept_many([other])
    select(window, qtbot, lambda e: e.id == other.id)
    assert not details.showing_schema


def test_a_schema_from_the_profile_s_schema_file_is_shown(
    quiet_window: MainWindow, broker: TansuBroker, run: Any, qtbot: Any, tmp_path: Path
) -> None:
    window = quiet_window
    details = window.stream.details
    proto = tmp_path / "reading.proto"
    proto.write_text('syntax = "proto3";\nmessage Reading {\n  double celsius = 1;\n}\n')
    profile = ConnectionProfile("files", broker.bootstrap, schema_files=[f"sensors.*={proto}"])
    assert run(window.kafka.connect_profile(profile), timeout_ms=30_000)
    window.show_view("stream")
    # As a tail decodes an unframed record of a topic the file is for.
    reading = Envelope(type="Reading", source="kafka://sensors.eu")
    reading.topic, reading.format = "sensors.eu", "protobuf"
    reading.schema = {"subject": "reading.proto", "name": "Reading"}
    window.context.runtime.pipeline.accept_many([reading])
    select(window, qtbot, lambda e: e.id == reading.id)
    qtbot.mouseClick(details.schema_button, LEFT)
    page = details.schema_page
    qtbot.waitUntil(lambda: "message Reading {" in page.text(), timeout=WAIT_MS)
    assert page.text() == proto.read_text().rstrip("\n")  # the file's text, as written
    assert page.title.text() == "Value schema reading.proto \u00b7 Protobuf"

"""The composer publishing a nested Protobuf message by subject: the subject's messages are
offered once its schema is read, the first is the default (a payload that fits another is
refused saying which to choose), and the chosen one is sent byte for byte as Confluent's
ProtobufSerializer writes it. On the real broker and the tests' registry."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from PySide6.QtCore import Qt

from adapters.kafka.profiles import ConnectionProfile
from monitor.ui.kafka_service import KafkaService
from monitor.ui.views.publish import PublishView
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.adapters.test_schema_registry import shipped_class
from tests.ui.helpers import type_into
from tests.ui.test_publish_schema_subjects import records_of, service, view  # noqa: F401

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LEFT = Qt.MouseButton.LeftButton


def test_a_nested_protobuf_message_is_chosen_in_the_composer(
    view: PublishView,  # noqa: F811
    service: KafkaService,  # noqa: F811
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
) -> None:
    topic = "composer-shipped"
    subject = f"{topic}-value"
    run(create_topic(broker.bootstrap, topic))
    Shipped = shipped_class()  # acme.Envelope.Shipped: message index [0, 0]
    ctx = SerializationContext(topic, MessageField.VALUE)
    with SchemaRegistryServer() as registry:
        sr = SchemaRegistryClient({"url": registry.url})
        msg = Shipped(order_id="o-1", correlation_id="c-1")
        msg.at.FromJsonString("2026-12-06T10:00:00.250Z")
        theirs = ProtobufSerializer(Shipped, sr, {"use.deprecated.format": False})(msg, ctx)
        schema_id = int.from_bytes(theirs[1:5], "big")
        profile = replace(ConnectionProfile("local", broker.bootstrap), registry_url=registry.url)
        assert run(service.connect_profile(profile))
        qtbot.waitUntil(view.kafka_radio.isEnabled)
        qtbot.mouseClick(view.kafka_radio, LEFT)
        subjects = view.schema_subjects
        assert not subjects.messages_row.isVisible()  # no subject, no messages
        type_into(qtbot, view.topic_combo.lineEdit(), topic)
        type_into(qtbot, subjects.value_subject.lineEdit(), subject)
        qtbot.waitUntil(subjects.value_message.isVisible, timeout=10_000)
        names = [subjects.value_message.itemText(i) for i in range(subjects.value_message.count())]
        assert names == ["acme.Envelope", "acme.Envelope.Shipped"]
        assert subjects.value_message.currentText() == "acme.Envelope"  # the default: first
        assert not subjects.key_message.isVisible()  # no key subject

        view.payload.set_value(
            {"orderId": "o-1", "correlationId": "c-1", "at": "2026-12-06T10:00:00.250Z"}
        )
        qtbot.waitUntil(view.send_button.isEnabled)
        qtbot.mouseClick(view.send_button, LEFT)
        qtbot.waitUntil(lambda: view.status.text().startswith("Not sent"), timeout=15_000)
        assert view.status.text() == (
            f"Not sent: The payload does not fit {subject} version 1 (acme.Envelope): orderId "
            "is not a field of acme.Envelope. It fits acme.Envelope.Shipped: choose it in "
            "Value message."
        )
        assert view.send_hint.text() == ""
        hint = view.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 700
        for part in (subjects.value_message, view.send_button, view.status):
            assert part.visibleRegion().boundingRect() == part.rect()
        ARTIFACTS.mkdir(exist_ok=True)
        view.grab().save(str(ARTIFACTS / "publish_protobuf_messages.png"))

        subjects.value_message.setCurrentIndex(1)
        assert view.send_hint.text() == ""  # the refusal is still there beside it
        qtbot.mouseClick(view.send_button, LEFT)
        qtbot.waitUntil(lambda: view.status.text().startswith("Published"), timeout=15_000)
        assert view.status.text().startswith(
            f"Published a Protobuf record (acme.Envelope.Shipped, {subject} version 1, "
            f"schema id {schema_id}) to {topic}[0]@0"
        )
        assert view.send_hint.text() == "Ready to send."

        (record,) = run(asyncio.to_thread(records_of, broker.bootstrap, topic))
        read = ProtobufDeserializer(Shipped, {"use.deprecated.format": False})(record.value(), ctx)

        # No subject: a CloudEvent again, its fields back, no message row.
        subjects.value_subject.setEditText("")
        assert not subjects.messages_row.isVisible()
        assert view.type_edit.isEnabled() and view.correlation_edit.isEnabled()
        assert "no CloudEvents" not in view.correlation_edit.toolTip()
    assert record.value() == theirs  # byte for byte what the serializer writes
    assert read.order_id == "o-1" and read.at.ToJsonString() == "2026-12-06T10:00:00.250Z"
    assert json.loads(json.dumps(read.correlation_id)) == "c-1"

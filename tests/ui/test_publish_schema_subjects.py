"""The composer publishing to Kafka with a registry subject's schema, on the real broker
and the tests' registry: the record it sends is read back by Confluent's own Avro
deserializer, and a payload that does not fit is refused in the view, naming the field,
with nothing sent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema as ConfluentSchema
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from PySide6.QtCore import Qt

from adapters.kafka.profiles import ConnectionProfile
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.kafka_service import KafkaService
from monitor.ui.live_feed import LiveFeed
from monitor.ui.main_window import stop_runtime
from monitor.ui.views.publish import PublishView
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.ui.helpers import kafka_service, type_into

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LEFT = Qt.MouseButton.LeftButton
PAYMENT = {
    "type": "record",
    "name": "PaymentTaken",
    "namespace": "shop",
    "fields": [
        {"name": "orderId", "type": "string"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 9, "scale": 2}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}  # fmt: skip


@pytest.fixture
def registry() -> Iterator[SchemaRegistryServer]:
    with SchemaRegistryServer() as server:
        yield server


@pytest.fixture
def service(tmp_path: Path, run: Any) -> Iterator[KafkaService]:
    runtime = EmbeddedRuntime(tmp_path / "log.db", demo_rate=0, seed=3)
    run(runtime.start())
    context = AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline))
    with kafka_service(context, run, sample_interval=600.0) as svc:
        yield svc
    run(stop_runtime(runtime))


@pytest.fixture
def view(service: KafkaService, config_dir: Path, qtbot: Any) -> PublishView:
    widget = PublishView(service.context, service)
    qtbot.addWidget(widget)
    widget.resize(1024, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def records_of(bootstrap: str, topic: str, seconds: float = 2.0) -> list[Any]:
    """Every record of ``topic`` (one partition), read with confluent-kafka."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "composer-check",
                         "enable.auto.commit": False})  # fmt: skip
    try:
        consumer.assign([TopicPartition(topic, 0, 0)])
        out = []
        while (msg := consumer.poll(seconds)) is not None:
            if msg.error() is None:
                out.append(msg)
        return out
    finally:
        consumer.close()


def test_the_composer_publishes_by_subject_and_refuses_a_payload_that_does_not_fit(
    view: PublishView, service: KafkaService, broker: TansuBroker, run: Any, qtbot: Any
) -> None:
    topic = "composer-payments"
    subject = f"{topic}-value"
    run(create_topic(broker.bootstrap, topic))
    with SchemaRegistryServer() as registry:
        sr = SchemaRegistryClient({"url": registry.url})
        schema_id = sr.register_schema(subject, ConfluentSchema(json.dumps(PAYMENT), "AVRO"))
        sr.register_schema("composer-other-value", ConfluentSchema('"string"', "AVRO"))
        profile = replace(ConnectionProfile("local", broker.bootstrap), registry_url=registry.url)
        assert run(service.connect_profile(profile))
        qtbot.waitUntil(view.kafka_radio.isEnabled)
        assert not view.schema_subjects.isVisible()  # the bus has no registry
        qtbot.mouseClick(view.kafka_radio, LEFT)
        subjects = view.schema_subjects
        assert subjects.isVisible()
        qtbot.waitUntil(lambda: subjects.value_subject.count() == 2, timeout=10_000)

        type_into(qtbot, view.topic_combo.lineEdit(), topic)
        type_into(qtbot, subjects.value_subject.lineEdit(), subject)
        view.type_edit.clear()  # a record by subject is not a CloudEvent: no type needed
        view.payload.set_value(
            {"orderId": "o-7", "amount": "19.90", "at": "2026-12-06T10:00:00.250Z"}
        )
        qtbot.waitUntil(view.send_button.isEnabled)
        assert not view.burst_button.isEnabled()
        qtbot.mouseClick(view.send_button, LEFT)
        qtbot.waitUntil(lambda: not view.sending, timeout=15_000)
        assert view.status.text().startswith("Published"), view.status.text()
        assert view.status.text().startswith(
            f"Published an Avro record (shop.PaymentTaken, {subject} version 1, schema id "
            f"{schema_id}) to "
        )

        # An amount that is no decimal: refused in the view, before anything is sent.
        view.payload.set_value({"orderId": "o-8", "amount": "lots", "at": 0})
        qtbot.mouseClick(view.send_button, LEFT)
        qtbot.waitUntil(lambda: view.status.text().startswith("Not sent"), timeout=15_000)
        refusal = view.status.text()
        assert refusal == (
            f"Not sent: The payload does not fit {subject} version 1: amount: 'lots' is not a "
            "decimal."
        )
        assert view.status.property("tone") == "error"
        # Not "Ready to send." beside a refusal: the hint leaves the saying to it.
        assert view.send_button.isEnabled() and view.send_hint.text() == ""
        # A record by subject carries no CloudEvents attributes: their fields are greyed.
        for field in (view.type_edit, view.source_edit, view.subject_edit,
                      view.correlation_edit):  # fmt: skip
            assert not field.isEnabled()
            assert "no CloudEvents attributes" in field.toolTip()
        assert view.key_edit.isEnabled()
        # The row fits the laptop screen: nothing of it, nor of Send, is cut off.
        hint = view.minimumSizeHint()
        assert hint.width() <= 1024 and hint.height() <= 700
        for part in (subjects.value_subject, subjects.key_version, view.send_button):
            assert part.visibleRegion().boundingRect() == part.rect()
        ARTIFACTS.mkdir(exist_ok=True)
        view.grab().save(str(ARTIFACTS / "publish_schema_subjects.png"))

        # A version that is no number cannot be sent; one the subject does not have is
        # the registry's answer, said in the view.
        type_into(qtbot, subjects.value_version, "v2")
        assert not view.send_button.isEnabled()
        assert "'v2'" in view.send_hint.text() and "not a number" in view.send_hint.text()
        type_into(qtbot, subjects.value_version, "7")
        view.payload.set_value({"orderId": "o-9", "amount": "1.00", "at": 0})
        qtbot.mouseClick(view.send_button, LEFT)
        qtbot.waitUntil(
            lambda: f"Subject {subject} version 7 was not found" in view.status.text(),
            timeout=15_000,
        )

        records = run(asyncio.to_thread(records_of, broker.bootstrap, topic))
        (record,) = records  # the refused ones never went out
        ctx = SerializationContext(topic, MessageField.VALUE)
        read = AvroDeserializer(sr)(record.value(), ctx)
    assert int.from_bytes(record.value()[1:5], "big") == schema_id
    assert read["orderId"] == "o-7" and str(read["amount"]) == "19.90"
    assert read["at"].isoformat() == "2026-12-06T10:00:00.250000+00:00"
    assert not [h for h in record.headers() or [] if h[0].startswith("ce_")]

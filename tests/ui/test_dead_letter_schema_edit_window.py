"""Editing an Avro dead letter in the window, against the real broker and the tests'
registry: without a registry on the connected profile the edit is refused saying what to
do; with one, an edit that does not fit is refused naming the field, and a fitting one
is saved, replayed, and read back by Confluent's deserializer with the same schema id."""

from __future__ import annotations

import decimal
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from PySide6.QtCore import Qt

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import KafkaTail, StartPosition
from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.views.dead_letter_editor import DeadLetterEditDialog
from monitor.ui.views.dead_letters import DeadLettersView
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.adapters.test_dead_letter_round_trip import dead_letter_it, raw_records, spring_headers
from tests.adapters.test_schema_registry import ORDER_AVSC
from tests.ui.helpers import connect_kafka, shown_dead_letters_view
from tests.ui.test_dead_letter_journeys import letter_shown

LEFT = Qt.MouseButton.LeftButton
SHOTS = Path("/tmp/shots")


@pytest.fixture
def view(context: AppContext, qtbot: Any, run: Any) -> Iterator[DeadLettersView]:
    with shown_dead_letters_view(context, qtbot, run, size=(1024, 700)) as v:
        yield v


def open_editor(qtbot: Any, view: DeadLettersView) -> DeadLetterEditDialog:
    view.edit_action.trigger()
    qtbot.waitUntil(lambda: view.edit_dialog is not None and view.edit_dialog.isVisible())
    dialog = view.edit_dialog
    assert dialog is not None
    return dialog


def save(qtbot: Any, dialog: DeadLetterEditDialog, data: dict[str, Any]) -> str:
    """Put ``data`` in as the payload and press Save; what the dialog says when the save
    is refused (it stays open), or "" once it has closed with the edit saved."""
    dialog.payload_edit.setPlainText(json.dumps(data, indent=2))
    assert dialog.save_button.isEnabled(), dialog.error()
    qtbot.mouseClick(dialog.save_button, LEFT)

    def still_open() -> bool:  # saved, it closes and is deleted
        return shiboken6.isValid(dialog) and dialog.isVisible()

    qtbot.waitUntil(lambda: not still_open() or dialog.error() != "", timeout=20_000)
    return dialog.error() if still_open() else ""


def test_an_avro_letter_edited_in_the_window_is_replayed_with_its_schema(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    context: AppContext,
    broker: Any,
    run: Any,
    request: pytest.FixtureRequest,
) -> None:
    topic = "window-avro-orders"
    dlt = f"{topic}.DLT"
    with SchemaRegistryServer() as registry:
        sr = SchemaRegistryClient({"url": registry.url})
        ctx = SerializationContext(topic, MessageField.VALUE)
        order = {"orderId": "o-1", "correlationId": "c-1",
                 "amount": decimal.Decimal("12.50"), "at": 1796551200123}  # fmt: skip
        value = AvroSerializer(sr, ORDER_AVSC)(order, ctx)
        run(create_topic(broker.bootstrap, topic))
        run(create_topic(broker.bootstrap, dlt))
        run(dead_letter_it(broker.bootstrap, dlt, value, b"o-1", spring_headers(topic, 3)))
        plain = ConnectionProfile(name="local", bootstrap_servers=broker.bootstrap)
        client = RegistryClient(RegistrySettings(registry.url))
        tail = KafkaTail(
            plain,
            [dlt],
            sink=runtime.pipeline.accept_many,
            dead_letter_sink=runtime.pipeline.accept_dead_letter,
            start=StartPosition("beginning"),
            schemas=client,
        )
        run(tail.run(max_records=1, duration=20), timeout_ms=30_000)
        client.close()
        letter_id = f"kafka:{dlt}:0:0"
        service = connect_kafka(request, context, run, plain)

        letter = letter_shown(qtbot, view, letter_id)
        assert letter.event.format == "avro" and letter.event.data["amount"] == "12.50"
        edited = {**letter.event.data, "amount": "13.75"}

        # Connected without a registry: refused, saying what to do; nothing stored.
        dialog = open_editor(qtbot, view)
        said = save(qtbot, dialog, edited)
        assert said.startswith("The edit was not saved: The payload is avro"), said
        assert "Connect to the letter's cluster with a profile that has its schema registry" in said
        assert runtime.log is not None
        assert runtime.log.dead_letter(letter_id).record == letter.record
        dialog.reject()

        # With the profile's registry: an amount that is no decimal is refused, naming it,
        # and the dialog stays open with the edit, to be fixed and saved.
        with_registry = replace(plain, registry_url=registry.url)
        assert run(service.connect_profile(with_registry), timeout_ms=30_000)
        letter_shown(qtbot, view, letter_id)
        dialog = open_editor(qtbot, view)
        said = save(qtbot, dialog, {**edited, "amount": "a lot"})
        assert "does not fit" in said and "amount: 'a lot' is not a decimal" in said, said
        assert dialog.error_label.isVisible() and said in dialog.error_label.text()
        assert runtime.log.dead_letter(letter_id).record == letter.record
        SHOTS.mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(SHOTS / "dead_letter_edit_refused.png"))

        assert save(qtbot, dialog, edited) == ""
        qtbot.waitUntil(lambda: view.message_label.text().startswith("Edit saved"))
        view.replay_action.trigger()
        assert "Edit saved" not in view.message_label.text()  # it is being sent now
        qtbot.waitUntil(lambda: not view.runner.busy, timeout=30_000)
        assert runtime.log.dead_letter(letter_id).status == "replayed"

        [record] = run(raw_records(broker.bootstrap, topic, 1), timeout_ms=30_000)
        read = AvroDeserializer(sr)(record.value, ctx)
    assert record.value[:5] == value[:5]  # the same schema id
    assert read["amount"] == decimal.Decimal("13.75") and read["orderId"] == "o-1"

"""An Avro dead letter tailed without a registry, in the window: its Payload tab says it
is undecoded, why and what to do (not null); the editor offers no null payload to save
but says how to get one; once a profile with the registry is connected, the letter is
decoded in the background, stored so, and edited as its decoded payload. Real broker,
the tests' registry, a record written by Confluent's serializer, dead-lettered as Spring
does it."""

from __future__ import annotations

import decimal
import json
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from PySide6.QtWidgets import QApplication

from adapters.kafka.profiles import ConnectionProfile
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.views.dead_letters import DeadLettersView
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.adapters.test_dead_letter_round_trip import dead_letter_it, spring_headers
from tests.adapters.test_schema_registry import ORDER_AVSC
from tests.ui.helpers import connect_kafka, shown_dead_letters_view
from tests.ui.test_dead_letter_journeys import letter_shown, tail_into
from tests.ui.test_dead_letter_schema_edit_window import open_editor, save

SHOTS = Path("/tmp/shots")
WAIT_MS = 20_000
ORDER = {"orderId": "o-1", "correlationId": "c-1", "amount": decimal.Decimal("12.50"),
         "at": 1796551200123}  # fmt: skip


@pytest.fixture
def view(context: AppContext, qtbot: Any, run: Any) -> Iterator[DeadLettersView]:
    with shown_dead_letters_view(context, qtbot, run, size=(1100, 700)) as v:
        yield v


def undecoded_letter(
    runtime: EmbeddedRuntime, broker: Any, run: Any, registry: SchemaRegistryServer
) -> tuple[str, str, bytes]:
    """The order dead-lettered and tailed by the window with no registry: (letter id,
    original topic, the value's bytes)."""
    topic = f"late-orders-{uuid.uuid4().hex[:8]}"
    dlt = f"{topic}.DLT"
    sr = SchemaRegistryClient({"url": registry.url})
    value = AvroSerializer(sr, ORDER_AVSC)(ORDER, SerializationContext(topic, MessageField.VALUE))
    run(create_topic(broker.bootstrap, topic))
    run(create_topic(broker.bootstrap, dlt))
    run(dead_letter_it(broker.bootstrap, dlt, value, b"o-1", spring_headers(topic, 3)))
    plain = ConnectionProfile(name="local", bootstrap_servers=broker.bootstrap)
    run(tail_into(runtime, plain, dlt).run(max_records=1, duration=20), timeout_ms=30_000)
    return f"kafka:{dlt}:0:0", topic, bytes(value)


def payload_tab(view: DeadLettersView) -> str:
    return view.details.payload.toPlainText()


def shot(widget: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()
    assert widget.grab().save(str(SHOTS / name))


def test_an_undecoded_letter_says_why_and_is_decoded_once_a_registry_is_connected(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    context: AppContext,
    broker: Any,
    run: Any,
    request: pytest.FixtureRequest,
) -> None:
    assert runtime.log is not None
    with SchemaRegistryServer() as registry:
        letter_id, _topic, _value = undecoded_letter(runtime, broker, run, registry)
        plain = ConnectionProfile(name="local", bootstrap_servers=broker.bootstrap)
        service = connect_kafka(request, context, run, plain)  # no registry
        letter = letter_shown(qtbot, view, letter_id)
        assert letter.event.undecoded

        # Not null: undecoded, why, and what to do.
        said = payload_tab(view)
        assert said.startswith("undecoded: schema id 1: no schema registry is configured")
        assert "null" not in said and "profile that has its schema registry" in said
        payload = view.details.payload
        assert payload._highlighter.document() is None  # a sentence, not coloured as JSON
        view.details.tabs.setCurrentIndex(0)
        shot(view.details, "dead_letter_payload_undecoded.png")

        # The editor: no null payload to edit and save; it says how to get the payload.
        dialog = open_editor(qtbot, view)
        assert dialog.payload_locked and dialog.tabs.tabText(0) == "Payload (undecoded)"
        notice = dialog.payload_notice.text()
        assert "The payload is undecoded: schema id 1" in notice
        assert "profile that has its schema registry" in notice and "open Edit again" in notice
        assert not dialog.save_button.isEnabled()
        shot(dialog, "dead_letter_edit_undecoded.png")
        # The headers can still be edited: Save follows a change of them.
        headers = json.loads(dialog.headers_edit.toPlainText())
        dialog.headers_edit.setPlainText(json.dumps({**headers, "x-note": "checked"}))
        assert dialog.save_button.isEnabled() and dialog.error() == ""
        dialog.reject()

        # A profile with the registry connected: decoded in the background, no click.
        run(service.connect_profile(replace(plain, registry_url=registry.url)), timeout_ms=30_000)
        qtbot.waitUntil(lambda: '"amount": "12.50"' in payload_tab(view), timeout=WAIT_MS)
        assert payload._highlighter.document() is payload.document()  # JSON: coloured again
        shot(view.details, "dead_letter_payload_decoded.png")
    stored = runtime.log.dead_letter(letter_id)
    assert stored.event.format == "avro" and stored.event.data["orderId"] == "o-1"
    assert stored.event.type == "com.acme.OrderPlaced", stored.event.type
    assert stored.record == letter.record  # what a replay sends is untouched
    assert view.details.title.text() == "com.acme.OrderPlaced"


def test_edit_decodes_an_undecoded_letter_first_and_edits_its_payload(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    context: AppContext,
    broker: Any,
    run: Any,
    request: pytest.FixtureRequest,
) -> None:
    assert runtime.log is not None
    with SchemaRegistryServer() as registry:
        profile = ConnectionProfile(
            name="shop", bootstrap_servers=broker.bootstrap, registry_url=registry.url
        )
        connect_kafka(request, context, run, profile)
        # Filed after the connection, by a tail with no registry: undecoded when shown.
        letter_id, _topic, value = undecoded_letter(runtime, broker, run, registry)
        letter = letter_shown(qtbot, view, letter_id)
        assert letter.event.undecoded
        dialog = open_editor(qtbot, view)  # at once: the decode runs before it opens
        assert not dialog.payload_locked
        data = json.loads(dialog.payload_edit.toPlainText())
        assert data["amount"] == "12.50" and data["orderId"] == "o-1"
        assert save(qtbot, dialog, {**data, "amount": "13.75"}) == ""
        stored = runtime.log.dead_letter(letter_id)
        sr = SchemaRegistryClient({"url": registry.url})
        ctx = SerializationContext(letter.original_topic or "", MessageField.VALUE)
        assert stored.record is not None and stored.record.value is not None
        read = AvroDeserializer(sr)(stored.record.value, ctx)
    assert stored.record.value[:5] == value[:5]  # the same schema id
    assert read["amount"] == decimal.Decimal("13.75") and read["orderId"] == "o-1"
    assert [a.action for a in runtime.log.actions(letter_id)] == ["edit"]

"""The stream on records tailed without a registry: the rows are undecoded; once the
session has a registry that answers, showing one in the details pane decodes it (and
the other undecoded rows) without blocking the window, the overview stops counting them
as undecoded, and a log search finds a field inside the logged ones. Connecting a profile
with a registry decodes them with no click, so a live filter matches what is inside. Real
test broker, the tests' registry, records written by confluent-kafka's AvroSerializer."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import KafkaTail, StartPosition
from adapters.schema_registry.client import RegistryClient, RegistrySettings
from monitor.core.event_filter import EventFilter
from monitor.core.formats.schemas import SchemaSource
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.event_table_model import Column
from monitor.ui.views.event_stream import EventStreamView
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.adapters.test_undecoded_later import NOTES, produce_notes
from tests.ui.helpers import connect_kafka, live_stream_view

WAIT_MS = 20_000


@pytest.fixture
def view(quiet_runtime: EmbeddedRuntime, qtbot: Any, run: Any) -> Iterator[EventStreamView]:
    with live_stream_view(quiet_runtime, qtbot, run) as widget:
        yield widget


def formats(view: EventStreamView) -> list[str]:
    model = view.live_model
    return [model.index(r, Column.FORMAT).data() for r in range(model.rowCount())]


def test_undecoded_rows_are_decoded_when_shown_and_found_by_a_search(
    view: EventStreamView,
    quiet_runtime: EmbeddedRuntime,
    broker: TansuBroker,
    qtbot: Any,
    run: Any,
) -> None:
    profile = ConnectionProfile.ad_hoc(broker.bootstrap)
    topic_name = f"late-decode-{uuid.uuid4().hex[:8]}"
    log = quiet_runtime.log
    assert log is not None
    with SchemaRegistryServer() as registry:
        run(create_topic(broker.bootstrap, topic_name))
        produce_notes(broker.bootstrap, topic_name, registry)
        # Tailed with no registry: kept undecoded, in the window and in the log.
        tail = KafkaTail(
            profile,
            [topic_name],
            sink=quiet_runtime.pipeline.accept_many,
            start=StartPosition("beginning"),
        )
        run(tail.run(max_records=len(NOTES), duration=30), timeout_ms=40_000)
        qtbot.waitUntil(lambda: view.live_model.rowCount() == len(NOTES), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: len(log.undecoded_rows()) == len(NOTES), timeout=WAIT_MS)
        assert formats(view) == ["undecoded"] * 3
        assert quiet_runtime.undecoded.pending == 3

        client = RegistryClient(RegistrySettings(registry.url))

        async def session_schemas() -> SchemaSource | None:
            return client  # what the connected session's source answers

        try:
            # Without a schema source nothing can be done: the row stays undecoded.
            view.live_table.selectRow(1)
            assert not view.late_decoding.running
            assert "Undecoded" in view.details.browser.toPlainText()

            view.context.kafka.schemas = session_schemas
            view.live_table.selectRow(0)  # the newest: camel
            assert view.late_decoding.running  # in the background: the window goes on
            # The raw bytes show "camel" already: the record's type says it is decoded.
            qtbot.waitUntil(
                lambda: "com.acme.NoteTaken" in view.details.browser.toPlainText(),
                timeout=WAIT_MS,
            )
            text = view.details.browser.toPlainText()
            assert '"note": "camel"' in text and "Undecoded" not in text
            # Every undecoded row was decoded with it, and is no longer counted so.
            assert formats(view) == ["avro"] * 3
            assert [e.data["note"] for e in view.live_model.envelopes()] == NOTES[::-1]
            assert quiet_runtime.undecoded.pending == 0
            assert quiet_runtime.undecoded.count == 3  # the arrivals, as sampled
            QApplication.processEvents()
            assert view.grab().save("/tmp/late_decode_details.png")

            # The log still holds them undecoded; a search decodes and finds them.
            assert len(log.undecoded_rows()) == 3
            view.search_log(EventFilter(text="bison"))
            run(view.wait_search())
            found = view.search_model.envelopes()
            assert [(e.format, e.data["note"]) for e in found] == [("avro", "bison")]
            assert log.undecoded_rows() == []
        finally:
            client.close()


def test_connecting_a_profile_with_a_registry_decodes_the_rows_a_filter_hides(
    view: EventStreamView,
    quiet_runtime: EmbeddedRuntime,
    broker: TansuBroker,
    qtbot: Any,
    run: Any,
    request: pytest.FixtureRequest,
) -> None:
    topic_name = f"late-connect-{uuid.uuid4().hex[:8]}"
    with SchemaRegistryServer() as registry:
        run(create_topic(broker.bootstrap, topic_name))
        produce_notes(broker.bootstrap, topic_name, registry)
        plain = ConnectionProfile(name="local", bootstrap_servers=broker.bootstrap)
        tail = KafkaTail(
            plain,
            [topic_name],
            sink=quiet_runtime.pipeline.accept_many,
            start=StartPosition("beginning"),
        )
        run(tail.run(max_records=len(NOTES), duration=30), timeout_ms=40_000)
        qtbot.waitUntil(lambda: view.live_model.rowCount() == len(NOTES), timeout=WAIT_MS)
        # Undecoded, their type is their topic: the record's type matches none of them.
        view.apply_filter(EventFilter(type="com.acme.NoteTaken"))
        assert view.live_model.rowCount() == 0
        assert quiet_runtime.undecoded.pending == 3

        # Connected with a registry: decoded with no row shown or clicked.
        with_registry = ConnectionProfile(
            name="shop", bootstrap_servers=broker.bootstrap, registry_url=registry.url
        )
        connect_kafka(request, view.context, run, with_registry)
        qtbot.waitUntil(lambda: view.live_model.rowCount() == len(NOTES), timeout=WAIT_MS)
    assert formats(view) == ["avro"] * 3
    assert [e.data["note"] for e in view.live_model.envelopes()] == NOTES[::-1]
    assert quiet_runtime.undecoded.pending == 0

"""The journey the product exists for, driven in the window against the real test broker:
a record dead-lettered on ``<topic>.DLT`` by its consumer's framework is tailed, picked in
the Dead letters view, replayed with the default target (where it came from), arrives on
``<topic>`` as the record it was, is not filed again by a tail of ``<topic>``, and, when
the consumer fails on it again, the window says so and links the new letter."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tail import KafkaTail, StartPosition
from monitor.core.deadletters import REPLAY_COUNT_HEADER, REPLAY_HEADER, DeadLetter
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui import theme
from monitor.ui.context import AppContext
from monitor.ui.views.dead_letter_model import Column
from monitor.ui.views.dead_letters import DeadLettersView
from tests.adapters.conftest import create_topic
from tests.adapters.test_dead_letter_round_trip import (
    APP_HEADERS,
    KEY,
    VALUE,
    dead_letter_it,
    raw_records,
    spring_headers,
)
from tests.ui.helpers import connect_kafka, shown_dead_letters_view

_topics = itertools.count()


@pytest.fixture
def runtime(quiet_runtime: EmbeddedRuntime) -> EmbeddedRuntime:
    """No demo: its own dead letters would be counted with those a tail files."""
    return quiet_runtime


@pytest.fixture
def view(context: AppContext, qtbot: Any, run: Any) -> Iterator[DeadLettersView]:
    with shown_dead_letters_view(context, qtbot, run, size=(1024, 700)) as v:
        yield v


def tail_into(runtime: EmbeddedRuntime, profile: ConnectionProfile, topic: str) -> KafkaTail:
    """A tail feeding the window's pipeline, as the Connections view's tail does."""
    return KafkaTail(
        profile,
        [topic],
        sink=runtime.pipeline.accept_many,
        dead_letter_sink=runtime.pipeline.accept_dead_letter,
        start=StartPosition("beginning"),
    )


def letter_shown(qtbot: Any, view: DeadLettersView, letter_id: str) -> DeadLetter:
    view.search.clear()
    qtbot.keyClicks(view.search, letter_id)
    qtbot.waitUntil(
        lambda: [d.id for d in view.proxy.visible_letters()] == [letter_id], timeout=15_000
    )
    index = view.proxy.index(0, 1)
    qtbot.mouseClick(
        view.table.viewport(), Qt.MouseButton.LeftButton, pos=view.table.visualRect(index).center()
    )
    [selected] = view.selected_letters()
    return selected


def refuse_questions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    asked: list[str] = []

    def question(_parent: Any, title: str, text: str, *_a: Any, **_k: Any) -> Any:
        asked.append(f"{title}\n{text}")
        return QMessageBox.StandardButton.No

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def test_a_kafka_dead_letter_goes_back_to_its_topic_as_it_was_and_a_second_failure_is_linked(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    context: AppContext,
    broker: Any,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    topic = f"journey{next(_topics)}-orders"
    dlt = f"{topic}.DLT"
    profile = ConnectionProfile(name="local", bootstrap_servers=broker.bootstrap)
    run(create_topic(broker.bootstrap, topic))
    run(create_topic(broker.bootstrap, dlt))
    run(dead_letter_it(broker.bootstrap, dlt, VALUE, KEY, APP_HEADERS + spring_headers(topic, 3)))
    run(tail_into(runtime, profile, dlt).run(max_records=1, duration=20), timeout_ms=30_000)
    letter_id = f"kafka:{dlt}:0:0"
    connect_kafka(request, context, run, profile)

    letter = letter_shown(qtbot, view, letter_id)
    # Known by its address: the same cluster whether reached by a profile or --bootstrap.
    assert letter.origin == f"kafka:{broker.bootstrap}" and letter.original_topic == topic
    # The default target is where the letter came from: no question, no other choice made.
    assert view.replay_to_origin_action.isChecked()
    assert view.replay_target().kind == "origin"
    asked = refuse_questions(monkeypatch)
    qtbot.mouseClick(view.replay_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.runner.busy, timeout=30_000)
    assert asked == []
    assert view.operation_bar.last_kind == "succeeded", view.operation_bar.label.text()
    assert "1 replayed" in view.operation_bar.label.text()
    assert runtime.log is not None
    assert runtime.log.dead_letter(letter_id).status == "replayed"

    [record] = run(raw_records(broker.bootstrap, topic, 1), timeout_ms=30_000)
    assert record.value == VALUE and record.key == KEY
    assert list(record.headers) == [
        *APP_HEADERS,
        (REPLAY_HEADER, letter_id.encode()),
        (REPLAY_COUNT_HEADER, b"1"),
    ]

    # The window's own tail of the original topic logs the event, files no dead letter.
    before = runtime.pipeline.stats.dead_letters_total
    run(tail_into(runtime, profile, topic).run(max_records=1, duration=20), timeout_ms=30_000)
    assert runtime.pipeline.stats.dead_letters_total == before

    # The consumer fails on the replay again: its framework copies it to the DLT again.
    failed = [*record.headers, *spring_headers(topic, record.offset)]
    run(dead_letter_it(broker.bootstrap, dlt, record.value, record.key, failed))
    run(tail_into(runtime, profile, dlt).run(max_records=2, duration=20), timeout_ms=30_000)
    new_id = f"kafka:{dlt}:0:1"
    qtbot.waitUntil(lambda: "failed again" in view.message_label.text(), timeout=10_000)
    assert new_id in view.message_label.text() and letter_id in view.message_label.text()
    assert view.commands.failed_again() == {letter_id: new_id}
    qtbot.waitUntil(
        lambda: (
            runtime.log is not None and runtime.log.dead_letter(letter_id).failed_again_as == new_id
        ),
        timeout=10_000,
    )
    assert runtime.log.dead_letter(new_id).replayed_from == letter_id

    # The table says it too, once it reloads: the old letter is not a plain success.
    def status_text(letter_id: str) -> str:
        row = view.model.row_of(letter_id)
        return "" if row is None else str(view.model.index(row, Column.STATUS).data())

    qtbot.waitUntil(lambda: status_text(letter_id) == "failed again", timeout=10_000)
    colour = view.model.index(view.model.row_of(letter_id), Column.STATUS).data(
        Qt.ItemDataRole.ForegroundRole
    )
    assert colour.color().name() == QColor(theme.WARNING).name()  # not a success's green
    view.show_letter(letter_id)
    assert view.details.status_chip.text() == "FAILED AGAIN"
    tip = view.model.index(view.model.row_of(letter_id), Column.STATUS).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert new_id in tip


def test_a_kafka_letter_is_not_sent_to_the_bus_while_its_cluster_is_not_connected(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    broker: Any,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = f"journey{next(_topics)}-payments"
    dlt = f"{topic}-dlt"
    profile = ConnectionProfile(name="staging", bootstrap_servers=broker.bootstrap)
    run(create_topic(broker.bootstrap, dlt))
    run(dead_letter_it(broker.bootstrap, dlt, VALUE, KEY, spring_headers(topic, 1)))
    run(tail_into(runtime, profile, dlt).run(max_records=1, duration=20), timeout_ms=30_000)
    letter_id = f"kafka:{dlt}:0:0"
    letter_shown(qtbot, view, letter_id)
    published = runtime.bus.counters_for(topic).published

    # Not connected: the default target skips it and says which cluster to connect to.
    qtbot.mouseClick(view.replay_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.runner.busy, timeout=30_000)
    said = view.operation_bar.label.text()
    assert "1 skipped" in said
    assert f"came from Kafka cluster {broker.bootstrap}: connect to it" in said
    assert runtime.log is not None
    assert runtime.log.dead_letter(letter_id).status == "pending"
    assert runtime.bus.counters_for(topic).published == published

    # Choosing the embedded bus for it asks first; declining sends nothing.
    asked = refuse_questions(monkeypatch)
    view.replay_to_bus_action.trigger()
    qtbot.mouseClick(view.replay_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "instead of where it came from" in asked[0]
    assert f"Kafka ({broker.bootstrap})" in asked[0]
    assert not view.runner.busy
    assert runtime.log.dead_letter(letter_id).status == "pending"
    assert runtime.bus.counters_for(topic).published == published

"""The stream's topic filter takes a topic by its exact name, or a glob, as the command
line does (`events --topic`, `kafka tail --topic`): `orders` no longer shows
`orders.placed`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.views.event_stream import SEARCH_TAB, EventStreamView
from tests.ui.helpers import live_stream_view

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT_MS = 10_000


@pytest.fixture
def view(runtime: EmbeddedRuntime, qtbot: Any, run: Any) -> Iterator[EventStreamView]:
    with live_stream_view(runtime, qtbot, run) as widget:
        yield widget


def topics_shown(view: EventStreamView) -> set[str]:
    return {e.topic or "" for e in view.live_model.envelopes()}


def type_topic(view: EventStreamView, qtbot: Any, text: str) -> None:
    edit = view.filter_bar.topic_edit
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_a_topic_name_shows_that_topic_only_and_a_glob_shows_its_family(
    view: EventStreamView, runtime: EmbeddedRuntime, qtbot: Any, run: Any
) -> None:
    note = Envelope(type="AuditNote", source="test", topic="orders", data={"n": 1})
    runtime.pipeline.accept(note)
    qtbot.waitUntil(lambda: {"orders", "orders.placed"} <= topics_shown(view), timeout=WAIT_MS)

    type_topic(view, qtbot, "orders")
    assert topics_shown(view) == {"orders"}  # not orders.placed, as it used to
    assert "orders.placed" not in topics_shown(view)

    type_topic(view, qtbot, "orders.*")
    qtbot.waitUntil(lambda: bool(topics_shown(view)), timeout=WAIT_MS)
    assert topics_shown(view) <= {"orders.placed", "orders.cancelled"}
    assert "orders" not in topics_shown(view)
    ARTIFACTS.mkdir(exist_ok=True)
    view.grab().save(str(ARTIFACTS / "event_stream_topic_glob.png"))

    # The log search reads the same rule.
    assert runtime.log is not None
    qtbot.waitUntil(lambda: bool(runtime.log.events(topic="orders")), timeout=WAIT_MS)
    type_topic(view, qtbot, "orders")
    view.tabs.setCurrentIndex(SEARCH_TAB)
    with qtbot.waitSignal(view.search.finished, timeout=WAIT_MS):
        qtbot.mouseClick(view.filter_bar.search_button, Qt.MouseButton.LeftButton)
    assert [e.id for e in view.search_model.envelopes()] == [note.id]
    assert 'topic is "orders"' in view.search_status.text()

"""A log search's results never pass for the answer to a query they were not asked with:
once the filter fields change, the Log search tab says whose results they are, dims them,
and Search log runs the new query."""

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

WAIT_MS = 10_000
SHOTS = Path("/tmp/shots")


@pytest.fixture
def view(runtime: EmbeddedRuntime, qtbot: Any, run: Any) -> Iterator[EventStreamView]:
    with live_stream_view(runtime, qtbot, run, height=640) as widget:
        yield widget


def log_note(runtime: EmbeddedRuntime, qtbot: Any, text: str) -> Envelope:
    event = Envelope(type="AuditNote", source="test/audit", topic="audit", data={"note": text})
    runtime.pipeline.accept(event)
    assert runtime.log is not None
    log = runtime.log
    qtbot.waitUntil(
        lambda: any(e.id == event.id for e in log.events(type="AuditNote")), timeout=WAIT_MS
    )
    return event


def search(qtbot: Any, view: EventStreamView) -> None:
    with qtbot.waitSignal(view.search.finished, timeout=WAIT_MS):
        qtbot.mouseClick(view.filter_bar.search_button, Qt.MouseButton.LeftButton)


def tab_text(view: EventStreamView) -> str:
    return view.tabs.tabText(SEARCH_TAB)


def test_changing_the_fields_marks_the_old_results_as_another_querys(
    qtbot: Any, view: EventStreamView, runtime: EmbeddedRuntime
) -> None:
    first = log_note(runtime, qtbot, "stale-a1")
    second = log_note(runtime, qtbot, "stale-b2")
    qtbot.keyClicks(view.filter_bar.text_edit, "stale-a1")
    search(qtbot, view)
    assert [e.id for e in view.search_model.envelopes()] == [first.id]
    assert not view.search_is_stale
    assert view.search_status.text().startswith("1 match for text")
    assert "old query" not in tab_text(view)

    # One keystroke is enough: no waiting for the typing pause.
    qtbot.keyClick(view.filter_bar.text_edit, Qt.Key.Key_Backspace)
    assert view.search_is_stale
    status = view.search_status.text()
    assert status.startswith("Fields changed: press Search log"), status
    assert status.endswith('These results are for text "stale-a1".')
    assert view.search_status.property("state") == "paused"  # the warning colour
    assert tab_text(view).endswith("old query")
    assert not view.older_button.isVisible()  # it would go on with the old query
    SHOTS.mkdir(parents=True, exist_ok=True)
    qtbot.wait(50)  # the status row's layout settles before the screenshot
    assert view.grab().save(str(SHOTS / "event_stream_stale_search.png"))

    # Typed back to what was searched: the results match the fields again.
    qtbot.keyClicks(view.filter_bar.text_edit, "1")
    assert not view.search_is_stale
    assert view.search_status.text().startswith("1 match for text")

    # The checkbox counts as much as a field; and a new search is up to date again.
    view.filter_bar.text_edit.clear()
    qtbot.keyClicks(view.filter_bar.text_edit, "stale-b2")
    assert view.search_is_stale
    search(qtbot, view)
    assert not view.search_is_stale
    assert [e.id for e in view.search_model.envelopes()] == [second.id]
    assert "old query" not in tab_text(view)
    qtbot.mouseClick(view.filter_bar.malformed_check, Qt.MouseButton.LeftButton)
    assert view.search_is_stale and tab_text(view).endswith("old query")


def test_fields_changed_from_the_menu_also_mark_the_results(
    qtbot: Any, view: EventStreamView, runtime: EmbeddedRuntime
) -> None:
    log_note(runtime, qtbot, "stale-c3")
    qtbot.keyClicks(view.filter_bar.type_edit, "AuditNote")
    search(qtbot, view)
    assert view.search_model.rowCount() >= 1 and not view.search_is_stale
    qtbot.mouseClick(view.filter_bar.clear_button, Qt.MouseButton.LeftButton)
    assert view.search_is_stale
    assert view.search_status.text().endswith('These results are for type contains "AuditNote".')

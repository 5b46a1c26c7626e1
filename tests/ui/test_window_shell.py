"""The window's shell, as issue 18 found it: About names the version, the demo can be
paused, resumed and stopped from the window while the bus and the log go on, the
overview's dead-letter card and topic rows lead somewhere, and keyboard focus shows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QApplication,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from monitor import __version__
from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui import theme
from monitor.ui.main_window import MainWindow
from monitor.ui.views.event_stream import LIVE_TAB

LEFT = Qt.MouseButton.LeftButton


def visible_notice(text: str) -> bool:
    return any(
        isinstance(w, QMessageBox) and w.isVisible() and text in w.text()
        for w in QApplication.topLevelWidgets()
    )


def test_about_names_the_version(window: MainWindow, qtbot: Any) -> None:
    about = next(a for a in window.actions() if a.text().startswith("&About"))
    about.trigger()
    qtbot.waitUntil(lambda: visible_notice(f"Eventflow Monitor {__version__}"), timeout=5_000)
    for w in QApplication.topLevelWidgets():
        if isinstance(w, QMessageBox) and w.isVisible():
            w.close()


def demo_names(runtime: EmbeddedRuntime) -> set[str]:
    return {s.name for s in runtime.bus.subscriptions} & {"payments", "warehouse", "shipping"}


def test_the_demo_pauses_resumes_and_stops_while_the_bus_and_the_log_go_on(
    window: MainWindow, runtime: EmbeddedRuntime, run: Any, qtbot: Any
) -> None:
    demo = runtime.demo
    assert demo is not None
    qtbot.waitUntil(lambda: demo.orders_placed > 20, timeout=10_000)
    assert window.demo_pause_action.isEnabled() and not window.demo_resume_action.isEnabled()

    window.demo_pause_action.trigger()
    qtbot.waitUntil(lambda: demo.state == "paused", timeout=10_000)
    qtbot.waitUntil(window.demo_resume_action.isEnabled)
    assert not window.demo_pause_action.isEnabled()
    status = window._status_source.text()
    assert status == f"Embedded bus - demo paused after {demo.orders_placed:,} orders"
    placed = demo.orders_placed
    # Paused: the services still handle an order published by the user, and it is logged.
    order = Envelope(
        type="OrderPlaced", source="test", data={"orderId": "by-hand", "items": [], "total": 1}
    )
    run(runtime.bus.publish(order, "orders.placed"))
    qtbot.waitUntil(
        lambda: any(e.causation_id == order.id for e in runtime.pipeline.live.latest(200)),
        timeout=10_000,
    )
    assert demo.orders_placed == placed  # no order of the demo's meanwhile

    window.demo_resume_action.trigger()
    qtbot.waitUntil(lambda: demo.orders_placed > placed + 10, timeout=10_000)
    assert demo.state == "running"
    assert window._status_source.text() == "Embedded bus - demo running at 200 orders/s"

    window.demo_stop_action.trigger()
    qtbot.waitUntil(lambda: demo.state == "stopped", timeout=15_000)
    qtbot.waitUntil(window.demo_resume_action.isEnabled)
    assert demo_names(runtime) == set()  # the services left the bus
    assert window._status_source.text().startswith("Embedded bus - demo stopped")
    # The bus and the log go on without the demo: an event published now is logged.
    manual = Envelope(type="Manual", source="test")
    run(runtime.bus.publish(manual, "test.events"))
    qtbot.waitUntil(
        lambda: any(e.id == manual.id for e in runtime.pipeline.live.latest(50)), timeout=10_000
    )
    writer = runtime.writer
    assert writer is not None
    qtbot.waitUntil(lambda: writer.written == runtime.pipeline.accepted, timeout=10_000)
    assert runtime.started and runtime.writer is not None and runtime.writer.last_error is None

    window.demo_resume_action.trigger()  # started again: services first, then orders
    assert demo_names(runtime) == {"payments", "warehouse", "shipping"}
    placed = demo.orders_placed
    qtbot.waitUntil(lambda: demo.orders_placed > placed, timeout=10_000)


def test_the_dead_letter_card_opens_the_dead_letters_view(window: MainWindow, qtbot: Any) -> None:
    card = window.dead_letters_card
    window.show_view("overview")
    qtbot.waitUntil(lambda: not card.visibleRegion().isEmpty())
    assert card.cursor().shape() == Qt.CursorShape.PointingHandCursor
    qtbot.mouseClick(card, LEFT)
    dock = window.docks["dead_letters"]
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty(), timeout=5_000)
    # By keyboard too: Enter on the focused card.
    window.show_view("overview")
    qtbot.waitUntil(lambda: dock.visibleRegion().isEmpty(), timeout=5_000)
    card.setFocus()
    qtbot.keyClick(card, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty(), timeout=5_000)


def test_a_topic_in_the_overview_opens_the_stream_filtered_to_exactly_it(
    window: MainWindow, qtbot: Any
) -> None:
    table = window.overview.topics_table
    window.show_view("overview")

    def row_of(topic: str) -> int | None:
        for row in range(table.rowCount()):
            item = table.item(row, 0)
            if item is not None and item.text() == topic:
                return row
        return None

    qtbot.waitUntil(lambda: row_of("payments.authorized") is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not table.visibleRegion().isEmpty())
    row = row_of("payments.authorized")
    assert row is not None
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), LEFT, pos=rect.center())
    stream = window.stream
    qtbot.waitUntil(lambda: not window.docks["stream"].visibleRegion().isEmpty(), timeout=5_000)
    assert stream.tabs.currentIndex() == LIVE_TAB
    assert stream.filter_bar.topic_edit.text() == "payments.authorized"
    assert stream.filter.topic == "payments.authorized" and stream.filter.type == ""
    model = window.table_model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=10_000)
    # Exactly that topic: no payments.failed, no other topic starting the same way.
    assert {model.envelope(r).topic for r in range(model.rowCount())} == {"payments.authorized"}


@pytest.fixture
def themed(qapp: Any) -> Iterator[None]:
    yield
    theme.apply_theme(qapp, "light")


@pytest.mark.parametrize("name", ["light", "dark"])
def test_keyboard_focus_shows_on_tables_and_buttons_in_both_themes(
    name: str, themed: None, qapp: Any, qtbot: Any
) -> None:
    theme.apply_theme(qapp, name)
    page = QWidget()
    qtbot.addWidget(page)
    table, button, other = QTableWidget(3, 2), QPushButton("Replay"), QPushButton("Other")
    layout = QVBoxLayout(page)
    for widget in (table, button, other):
        layout.addWidget(widget)
    page.resize(300, 240)
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow, timeout=5_000)
    accent = QColor(theme.ACCENT)

    def edge_colour(widget: QWidget) -> QColor:
        return widget.grab().toImage().pixelColor(QPoint(0, widget.height() // 2))

    for widget in (table, button):
        other.setFocus()
        qtbot.waitUntil(other.hasFocus)
        assert edge_colour(widget) != accent, widget
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.waitUntil(widget.hasFocus)
        assert edge_colour(widget) == accent, (name, widget, edge_colour(widget).name())

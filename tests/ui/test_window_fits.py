"""The window on a laptop: 1024x700 with every view usable, and a saved size that the
screen cannot show brought back onto it.

The offscreen screen of these tests is 800x800, smaller than the laptop in one direction:
a geometry fitted to it is fitted to any screen the same way.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QRect, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QScrollArea, QWidget

from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.main_window import MainWindow
from monitor.ui.screen_fit import fitted
from monitor.ui.settings import AppSettings
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.ui.helpers import type_into

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SHOTS = Path("/tmp/shots")
LAPTOP_W, LAPTOP_H = 1024, 700
LEFT = Qt.MouseButton.LeftButton


def close_window(win: MainWindow, qtbot: Any) -> None:
    if not win.is_closed():
        with qtbot.waitSignal(win.closed, timeout=20_000):
            win.close()
    win.deleteLater()


def fits_laptop(win: MainWindow) -> bool:
    hint = win.minimumSizeHint().expandedTo(win.minimumSize())
    return hint.width() <= LAPTOP_W and hint.height() <= LAPTOP_H


def scroll_area(win: MainWindow, key: str) -> QScrollArea:
    area = win.docks[key].widget()
    assert isinstance(area, QScrollArea)
    return area


def wholly_visible(widget: QWidget) -> bool:
    """The widget is on screen and nothing of it is cut off (by the window's edge or by a
    scroll area's viewport)."""
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


def settled(win: MainWindow, key: str) -> bool:
    """The view raised and laid out at the window's size: no scroll area in its dock shows
    a scroll bar (one does for a moment while the raised dock is laid out again)."""
    dock = win.docks[key]
    areas = [dock.widget(), *dock.findChildren(QScrollArea)]
    return not dock.visibleRegion().isEmpty() and not any(
        a.horizontalScrollBar().isVisible() or a.verticalScrollBar().isVisible() for a in areas
    )


def scrolling_areas(win: MainWindow, key: str) -> list[str]:
    """The scroll areas of a view that show a scroll bar, named for a failure message."""
    dock = win.docks[key]
    areas = [dock.widget(), *dock.findChildren(QScrollArea)]
    return [
        f"{a.objectName() or type(a).__name__} in {type(a.parent()).__name__}"
        f" {a.size().toTuple()} < {a.widget().minimumSizeHint().toTuple()}"
        for a in areas
        if a.horizontalScrollBar().isVisible() or a.verticalScrollBar().isVisible()
    ]


def save_shot(widget: QWidget, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    assert widget.grab().save(str(path))
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / name)
    return path


def publish_long_chain(runtime: EmbeddedRuntime, run: Any) -> str:
    """A chain whose types, topics and ids are far longer than any screen is wide."""
    first = Envelope(type="OrderPlacedWithAVeryLongTypeName" * 6, source="s" * 120)
    first.correlation_id = "chain-" + "0123456789abcdef" * 12
    run(runtime.bus.publish(first, "orders." + "placed-in-a-region-far-away." * 8))
    for n in range(12):
        step = Envelope(
            type=f"Step{n}" + "WithAnEvenLongerName" * 8,
            source="x" * 90,
            correlation_id=first.correlation_id,
            causation_id=first.id,
        )
        run(runtime.bus.publish(step, f"step.{n}." + "z" * 140))
    return first.correlation_id


def test_every_view_fits_1024x700_and_the_window_never_needs_more(
    window: MainWindow, runtime: EmbeddedRuntime, run: Any, qtbot: Any
) -> None:
    window.resize(LAPTOP_W, LAPTOP_H)
    chain = publish_long_chain(runtime, run)
    window.open_chain(chain)
    qtbot.waitUntil(lambda: window.chains.chain is not None, timeout=10_000)
    for key in window.docks:
        window.show_view(key)
        qtbot.waitUntil(lambda k=key: not window.docks[k].visibleRegion().isEmpty())
        assert fits_laptop(window), (key, window.minimumSizeHint())
        assert window.width() == LAPTOP_W and window.height() == LAPTOP_H, key
    # These views need no scrolling at all at this size (inner areas included).
    for key in ("overview", "publish", "connections"):
        window.show_view(key)
        try:
            qtbot.waitUntil(lambda k=key: settled(window, k), timeout=5_000)
        except qtbot.TimeoutError:
            raise AssertionError(f"{key} scrolls: {scrolling_areas(window, key)}") from None
    window.show_view("publish")
    publish = window.publish
    for widget in (
        publish.send_button,
        publish.burst_rate,
        publish.burst_button,
        publish.topic_combo,
    ):
        assert wholly_visible(widget), widget
    window.show_view("connections")
    for widget in (window.connections.connect_button, window.connections.save_button):
        assert wholly_visible(widget), widget


def test_every_dock_side_by_side_still_fits_1024x700(
    window: MainWindow, runtime: EmbeddedRuntime, run: Any, qtbot: Any
) -> None:
    window.open_chain(publish_long_chain(runtime, run))
    areas = (
        Qt.DockWidgetArea.TopDockWidgetArea,
        Qt.DockWidgetArea.BottomDockWidgetArea,
        Qt.DockWidgetArea.LeftDockWidgetArea,
        Qt.DockWidgetArea.RightDockWidgetArea,
    )
    docks = list(window.docks.values())
    for n, dock in enumerate(docks):  # untabbed: each dock has its own place
        window.addDockWidget(areas[n % len(areas)], dock)
        dock.show()
    assert all(not window.tabifiedDockWidgets(d) for d in docks)
    window.resize(LAPTOP_W, LAPTOP_H)
    qtbot.waitUntil(lambda: all(not d.visibleRegion().isEmpty() for d in docks))
    assert fits_laptop(window), window.minimumSizeHint()
    assert (window.width(), window.height()) == (LAPTOP_W, LAPTOP_H)


def saved_geometry(rect: QRect, qtbot: Any) -> QByteArray:
    """What saveGeometry() keeps for a window at ``rect`` (as a larger screen had it)."""
    other = QMainWindow()
    qtbot.addWidget(other)
    other.setGeometry(rect)
    other.show()
    qtbot.waitExposed(other)
    geometry = other.saveGeometry()
    other.close()
    return geometry


def test_a_saved_geometry_larger_than_the_screen_is_brought_onto_it(
    runtime: EmbeddedRuntime, tmp_path: Path, qtbot: Any
) -> None:
    screen = QGuiApplication.primaryScreen().availableGeometry()
    oversized = QRect(screen.right() + 400, 60, screen.width() + 819, screen.height() + 300)
    settings = AppSettings(tmp_path / "settings.json")
    settings.setValue("main_window/geometry", saved_geometry(oversized, qtbot))
    win = MainWindow(runtime, settings=settings)
    try:
        win.show()
        qtbot.waitExposed(win)
        assert screen.contains(win.geometry()), (win.geometry(), screen)
        # Made too wide again while it runs (a view that grew), then closed: the width
        # remembered is never wider than the screen.
        win.setGeometry(screen.x(), screen.y(), screen.width() + 600, screen.height())
    finally:
        close_window(win, qtbot)
    again = AppSettings(tmp_path / "settings.json")
    restored = QMainWindow()
    qtbot.addWidget(restored)
    assert restored.restoreGeometry(again.value("main_window/geometry"))
    assert restored.geometry().width() <= screen.width()


def test_fitted_keeps_a_window_on_the_screen_and_above_its_minimum() -> None:
    screen = QRect(0, 0, 1024, 700)
    assert fitted(QRect(1500, 40, 1619, 900), 300, 200, screen) == QRect(0, 0, 1024, 700)
    assert fitted(QRect(-300, -50, 800, 500), 300, 200, screen) == QRect(0, 0, 800, 500)
    assert fitted(QRect(600, 500, 800, 500), 300, 200, screen) == QRect(224, 200, 800, 500)
    # A minimum larger than the screen wins over the screen, placed at its corner.
    assert fitted(QRect(50, 50, 900, 600), 1200, 200, screen) == QRect(0, 50, 1200, 600)


def test_screenshots_of_overview_publish_and_connections_at_1024x700(
    broker: TansuBroker, config_dir: Path, window: MainWindow, run: Any, qtbot: Any
) -> None:
    for name in ("shop.orders", "shop.orders.DLT", "shop.payments"):
        run(create_topic(broker.bootstrap, name, 1))
    window.resize(LAPTOP_W, LAPTOP_H)
    qtbot.waitUntil(window.rate_chart.has_data, timeout=10_000)
    window.show_view("overview")
    qtbot.waitUntil(lambda: window.overview.topics_table.rowCount() > 0, timeout=10_000)
    qtbot.waitUntil(lambda: settled(window, "overview"), timeout=5_000)
    save_shot(window, "window_overview_1024x700.png")

    window.show_view("publish")
    qtbot.waitUntil(lambda: settled(window, "publish"), timeout=5_000)
    assert wholly_visible(window.publish.burst_rate)
    save_shot(window, "window_publish_1024x700.png")

    connections = window.connections
    window.show_view("connections")
    qtbot.mouseClick(connections.new_button, LEFT)
    type_into(qtbot, connections.form.name_edit, "local-test-broker")
    type_into(qtbot, connections.form.bootstrap_edit, broker.bootstrap)
    qtbot.mouseClick(connections.connect_button, LEFT)
    qtbot.waitUntil(lambda: connections.topics_model.rowCount() >= 3, timeout=20_000)
    for widget in (connections.refresh_button, connections.tail_button, connections.connect_button):
        assert wholly_visible(widget), widget
    qtbot.waitUntil(lambda: settled(window, "connections"), timeout=5_000)
    save_shot(window, "window_connections_1024x700.png")
    qtbot.mouseClick(connections.disconnect_button, LEFT)
    qtbot.waitUntil(lambda: not window.kafka.connected, timeout=20_000)

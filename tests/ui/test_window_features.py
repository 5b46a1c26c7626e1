"""The window as a whole: docks, shortcuts, themes, settings that survive (or reset)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from adapters.kafka.profiles import ConnectionProfile
from monitor.core.gauges import GaugeHistory
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui import theme
from monitor.ui.main_window import MainWindow
from monitor.ui.settings import AppSettings
from monitor.ui.shortcuts import ShortcutsDialog
from monitor.ui.views.overview import depth_rising, topic_status

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


def open_window(runtime: EmbeddedRuntime, settings: Any, qtbot: Any) -> MainWindow:
    win = MainWindow(runtime, settings=settings)
    win.show()
    qtbot.waitExposed(win)
    return win


def close_window(win: MainWindow, qtbot: Any) -> None:
    if not win.is_closed():
        with qtbot.waitSignal(win.closed, timeout=20_000):
            win.close()
    win.deleteLater()


@pytest.fixture
def restore_light_theme(qapp: Any) -> Iterator[None]:
    yield
    theme.apply_theme(qapp, "light")


def test_views_are_docks_and_ctrl_number_raises_them(window: MainWindow, qtbot: Any) -> None:
    assert {"overview", "stream"} <= set(window.docks)
    for dock in window.docks.values():
        assert dock.objectName().startswith("dock-")
    window.show_view("stream")
    qtbot.waitUntil(lambda: not window.docks["stream"].visibleRegion().isEmpty(), timeout=5000)
    keys = dict((text, keys) for keys, text in window.shortcut_list())
    assert keys["Event stream"] == "Ctrl+2"
    assert keys["Keyboard shortcuts"] == "F1"
    assert keys["Find in the stream"] == "Ctrl+F"
    # Each view's action (menu item or Ctrl+N) brings its dock to the front.
    by_shortcut = {a.shortcut().toString(): a for a in window.actions()}
    for number, (key, dock) in enumerate(window.docks.items(), start=1):
        by_shortcut[f"Ctrl+{number}"].trigger()
        qtbot.waitUntil(lambda d=dock: not d.visibleRegion().isEmpty(), timeout=5000)
        others = [d for k, d in window.docks.items() if k != key]
        assert all(d.visibleRegion().isEmpty() for d in others), key


def test_ctrl_shift_p_opens_the_composer_ready_to_type(window: MainWindow, qtbot: Any) -> None:
    window.activateWindow()
    window.publish_action.trigger()
    qtbot.waitUntil(lambda: not window.docks["publish"].visibleRegion().isEmpty(), timeout=5000)
    assert QApplication.focusWidget() is window.publish.type_edit


def test_tab_stays_in_the_view_on_screen(window: MainWindow, qtbot: Any) -> None:
    # The views tabbed behind the current one stay "visible" to Qt under it: Tab used to
    # walk into them, and the cursor vanished from the screen.
    window.activateWindow()
    for key in ("chains", "dead_letters", "publish", "stream"):
        window.show_view(key)
        qtbot.waitUntil(lambda k=key: not window.docks[k].visibleRegion().isEmpty())
    window.stream.live_table.setFocus()
    for press in range(40):
        focused = QApplication.focusWidget()
        assert focused is not None
        assert not focused.visibleRegion().isEmpty(), (press, type(focused).__name__)
        qtbot.keyClick(focused, Qt.Key.Key_Tab)


def test_ctrl_3_puts_the_cursor_in_the_chain_id_field(window: MainWindow, qtbot: Any) -> None:
    window.activateWindow()
    by_shortcut = {a.shortcut().toString(): a for a in window.actions()}
    by_shortcut["Ctrl+3"].trigger()
    assert QApplication.focusWidget() is window.chains.id_field
    # a pasted id may come with its quotes
    window.chains.show_chain('  "no-such-chain-id"  ')
    assert window.chains.id_field.text() == "no-such-chain-id"


def test_help_dialog_lists_every_shortcut(window: MainWindow, qtbot: Any) -> None:
    window.help_action.trigger()
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    listed = {dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert {"Overview", "Event stream", "Pause or resume the stream"} <= listed
    # keys that two views use are listed with the view they work in
    assert {"Send event (in Publish)", "Search log (in Event stream)"} <= listed
    dialog.reject()


def test_ctrl_p_pauses_and_resumes_the_stream(window: MainWindow, qtbot: Any) -> None:
    qtbot.waitUntil(lambda: window.table_model.rowCount() > 0, timeout=10_000)
    window.pause_action.trigger()
    rows = window.table_model.rowCount()
    pipeline = window.runtime.pipeline
    seen = pipeline.accepted
    qtbot.waitUntil(lambda: pipeline.accepted > seen + 200, timeout=10_000)
    qtbot.wait(300)  # two feed ticks: a paused table takes none of those events
    assert window.table_model.rowCount() == rows
    window.pause_action.trigger()
    qtbot.waitUntil(lambda: window.table_model.rowCount() > rows, timeout=5_000)


def test_theme_and_layout_persist_between_runs(
    runtime: EmbeddedRuntime, qtbot: Any, settings_path: Path, restore_light_theme: None
) -> None:
    first = open_window(runtime, AppSettings(settings_path), qtbot)
    first.set_theme("dark")
    assert (
        QApplication.instance().palette().window().color().name()
        == theme.THEMES["dark"]["WINDOW_BG"]
    )
    first.docks["stream"].setFloating(True)
    first.overview.splitter.setSizes([250, 400])
    sizes = first.overview.splitter.sizes()
    close_window(first, qtbot)
    saved = json.loads(settings_path.read_text())
    assert saved["theme"] == "dark"

    theme.apply_theme(QApplication.instance(), "light")
    again = AppSettings(settings_path)
    assert isinstance(again.value("main_window/state"), QByteArray)
    second = MainWindow(runtime, settings=again)
    try:
        assert theme.current == "dark"
        assert second.docks["stream"].isFloating()
        restored = second.overview.splitter.sizes()  # scaled: the window is not shown
        assert abs(restored[0] / sum(restored) - sizes[0] / sum(sizes)) < 0.02
    finally:
        second._runtime_stopped = True  # the runtime is already stopped by the first window
        second.close()
        second.deleteLater()


def test_reset_layout_tabs_the_views_again_and_keeps_the_window_size(
    window: MainWindow, qtbot: Any
) -> None:
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=5000)
    window.docks["stream"].setFloating(True)
    window.docks["publish"].hide()
    window.reset_layout()
    qapp = QApplication.instance()
    for _ in range(5):  # the dock layout settles over a few passes of the event loop
        qapp.processEvents()
        qtbot.wait(20)
    assert (window.width(), window.height()) == (1280, 800)
    docks = list(window.docks.values())
    assert all(not d.isFloating() and not d.isHidden() for d in docks)
    assert {d.objectName() for d in window.tabifiedDockWidgets(docks[0])} == {
        d.objectName() for d in docks[1:]
    }


def test_every_view_follows_a_switch_to_the_dark_theme_and_back(
    window: MainWindow, qtbot: Any, restore_light_theme: None
) -> None:
    light, dark = theme.THEMES["light"], theme.THEMES["dark"]
    views = {
        "stream": window.stream,
        "publish": window.publish,
        "connections": window.connections,
        "dead_letters": window.dead_letters,
    }
    for view in views.values():
        assert light["SURFACE"] in view.styleSheet()
    qtbot.waitUntil(lambda: window.table_model.rowCount() > 0, timeout=10_000)
    window.show_view("stream")
    window.stream.live_table.selectRow(0)
    assert f"color:{light['TEXT']}" in window.stream.details.browser.toHtml()
    charts = (window.overview.rate_chart, window.overview.depth_chart, window.overview.lag_chart)
    window.set_theme("dark")
    # Colours that are baked in, not taken from the palette: the details pane's HTML and
    # the charts' panels and axes.
    details = window.stream.details.browser.toHtml()
    assert f"color:{dark['TEXT']}" in details and f"color:{light['TEXT']}" not in details
    for chart in charts:
        assert chart.backgroundBrush().color().name() == dark["SURFACE"]
        axis = chart.getPlotItem().getAxis("left")
        assert axis.textPen().color().name() == dark["MUTED_TEXT"]
    for key, view in views.items():
        sheet = view.styleSheet()
        assert dark["SURFACE"] in sheet and light["SURFACE"] not in sheet, key
        window.show_view(key)
        qtbot.waitUntil(lambda d=window.docks[key]: not d.visibleRegion().isEmpty(), timeout=5000)
        ARTIFACTS.mkdir(exist_ok=True)
        assert window.grab().save(str(ARTIFACTS / f"dark_{key}.png"))
    assert dark["SURFACE"] in window.connections.banner.styleSheet()  # its own, baked in
    # A JSON payload in the composer takes the dark theme's colours too.
    assert (
        window.publish.payload.highlighter.format_of("number").foreground().color().name()
        == (theme.json_colours()["number"])
    )
    window.set_theme("light")
    for view in views.values():
        assert light["SURFACE"] in view.styleSheet() and dark["SURFACE"] not in view.styleSheet()


def test_views_tabbed_away_rest_and_catch_up_when_shown(window: MainWindow, qtbot: Any) -> None:
    overview, pipeline = window.overview, window.runtime.pipeline
    window.show_view("stream")
    qtbot.waitUntil(lambda: overview.visibleRegion().isEmpty(), timeout=5000)
    qtbot.wait(100)
    before = overview.total_card.value_text()
    seen = pipeline.stats.total
    qtbot.waitUntil(lambda: pipeline.stats.total > seen + 100, timeout=10_000)
    qtbot.wait(300)  # several stats ticks go by
    assert overview.total_card.value_text() == before  # nothing drawn behind the stream
    assert not overview._gauge_timer.isActive()  # nor the lag charts
    window.show_view("overview")
    qtbot.waitUntil(lambda: not overview.visibleRegion().isEmpty(), timeout=5000)
    assert int(overview.total_card.value_text().replace(",", "")) > seen  # at once
    assert overview._gauge_timer.isActive()
    # The chain view's 3 Hz refresh and the dead letters' reload also rest behind a tab.
    assert not window.chains._timer.isActive() and not window.dead_letters._on_screen
    window.show_view("chains")
    qtbot.waitUntil(window.chains._timer.isActive, timeout=5000)
    window.show_view("dead_letters")
    qtbot.waitUntil(lambda: window.dead_letters._on_screen, timeout=5000)
    assert not window.chains._timer.isActive()


def test_a_corrupt_settings_file_resets_with_a_message(
    runtime: EmbeddedRuntime, qtbot: Any, settings_path: Path
) -> None:
    settings_path.parent.mkdir(parents=True)
    settings_path.write_text('{"theme": "dark", "main_window/geometry": ')
    settings = AppSettings(settings_path)
    assert settings.problem and "damaged" in settings.problem
    assert (settings_path.parent / "settings.json.corrupt").exists()
    assert settings.value("theme") is None
    settings_path.write_text("[damaged again")  # a second damaged copy keeps the first
    assert AppSettings(settings_path).problem
    assert (settings_path.parent / "settings.json.corrupt.2").read_text() == "[damaged again"
    assert (settings_path.parent / "settings.json.corrupt").read_text().startswith('{"theme"')
    win = open_window(runtime, settings, qtbot)
    try:
        qtbot.waitUntil(lambda: win.findChild(QMessageBox, "notice") is not None, timeout=5000)
        notice = win.findChild(QMessageBox, "notice")
        assert "default settings" in notice.text()
        notice.close()
    finally:
        close_window(win, qtbot)


def test_overview_marks_quiet_topics_and_rising_dead_letter_depth() -> None:
    assert topic_status([0.0] * 50 + [5.0] + [0.0] * 12) == "quiet"
    assert topic_status([1.0] * 60 + [0.0]) == "live"
    assert topic_status([0.0] * 70) == "idle"
    assert depth_rising([0.0] * 10 + [1.0] * 30 + [4.0])
    assert not depth_rising([2.0] * 40)


def test_overview_draws_consumer_lag_once_kafka_gauges_arrive(
    window: MainWindow, qtbot: Any
) -> None:
    overview = window.overview
    assert overview.lag_hint.isVisibleTo(overview)
    lag, depth = GaugeHistory(), GaugeHistory()
    lag.record("billing", 12)
    lag.record("billing", 30)
    depth.record("orders.DLT", 4)
    overview.set_kafka_gauges(lag, depth)
    qtbot.waitUntil(lambda: overview.lag_chart.names() == ["billing"], timeout=5000)
    assert overview.lag_chart.latest("billing") == 30.0
    qtbot.waitUntil(lambda: "orders.DLT" in overview.depth_chart.names(), timeout=5000)
    assert not overview.lag_hint.isVisibleTo(overview)


def test_overview_says_why_no_lag_is_drawn(window: MainWindow, qtbot: Any) -> None:
    overview = window.overview
    qtbot.waitUntil(lambda: "Connect to a Kafka cluster" in overview.lag_hint.text(), timeout=5000)
    # Connected to a cluster where no group has committed offsets: not "connect".
    window.context.kafka.set(
        "connected", "Connected.", ConnectionProfile(name="local", bootstrap_servers="k:9092")
    )
    qtbot.waitUntil(lambda: "No consumer group" in overview.lag_hint.text(), timeout=5000)
    assert overview.lag_hint.isVisibleTo(overview)


def test_pausing_the_charts_freezes_them_and_allows_zoom(window: MainWindow, qtbot: Any) -> None:
    chart = window.rate_chart
    qtbot.waitUntil(chart.has_data, timeout=10_000)
    window.overview.pause_action.trigger()
    frozen = {t: chart.curve_data(t)[1].copy() for t in chart.topics()}
    qtbot.wait(1200)
    assert all((chart.curve_data(t)[1] == y).all() for t, y in frozen.items())
    assert chart.getPlotItem().getViewBox().state["mouseEnabled"] == [True, True]
    window.overview.pause_action.trigger()
    assert chart.getPlotItem().getViewBox().state["mouseEnabled"] == [False, False]

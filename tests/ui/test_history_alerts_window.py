"""History and alerts in the window: the demo's dead letters raise the default alert, a
tray message says so and the Alerts view lists it with a button to the dead letters;
the overview's ranges draw the stored history, across a restart, a point says its value
and time; screenshots of the 24 h overview and the Alerts view at 1024x700."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QPushButton

from monitor.core.alert_log import AlertLog
from monitor.core.alerts import Alert
from monitor.core.history_store import HistoryStore
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.main_window import MainWindow, stop_runtime
from monitor.ui.views.alert_model import OPEN
from tests.ui.test_window_fits import LAPTOP_H, LAPTOP_W, close_window, save_shot, settled

HOUR, DAY = 3600.0, 86_400.0


def test_the_demos_dead_letters_raise_the_default_alert_in_the_window(
    window: MainWindow, runtime: EmbeddedRuntime, run: Any, qtbot: Any
) -> None:
    qtbot.waitUntil(lambda: runtime.pipeline.stats.dead_letters_pending > 0, timeout=20_000)
    with qtbot.waitSignal(window.history.alert_raised, timeout=10_000) as raised:
        run(runtime.history.sample())  # the sample the 5 s timer would take
    alert = raised.args[0]
    assert isinstance(alert, Alert) and alert.rule == "dead-letters-pending"
    # The tray was told, once, with the alert's sentence.
    (title, message) = window.notifier.shown[-1]
    assert "dead-letters-pending" in title and message == alert.message
    # The Alerts view lists it; the tray icon counts it.
    view = window.alerts
    qtbot.waitUntil(lambda: view.model.rowCount() >= 1, timeout=10_000)
    assert view.model.alert(0).message == alert.message
    qtbot.waitUntil(lambda: window.notifier.count >= 1, timeout=5_000)
    # Its button opens the dead letters.
    window.show_view("alerts")
    button = view.table.indexWidget(view.model.index(0, OPEN))
    assert isinstance(button, QPushButton) and button.text() == "Open dead letters"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.docks["dead_letters"].visibleRegion().isEmpty())
    # Acknowledged: greyed, counted out of the icon's number, stored.
    view.acknowledge_all()
    qtbot.waitUntil(lambda: view.model.rowCount() and view.model.alert(0).acknowledged)
    qtbot.waitUntil(lambda: window.notifier.count == 0, timeout=5_000)
    assert window.notifier.tray.toolTip() == "Eventflow Monitor"
    with AlertLog(runtime.db_path or "") as log:
        assert log.alerts()[0].acknowledged
    # A tray message clicked brings the Alerts view up.
    window.show_view("overview")
    window.notifier.tray.messageClicked.emit()
    qtbot.waitUntil(lambda: not window.docks["alerts"].visibleRegion().isEmpty())


def test_a_rule_edited_in_the_alerts_view_is_used_and_kept(
    window: MainWindow, runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    view = window.alerts
    table = view.rules_table
    row = next(r for r in range(table.rowCount()) if table.item(r, 1).text() == "group-lag-records")
    table.item(row, 3).setText("lots")  # not a number: refused, nothing changes
    assert "'lots' is not a number" in view.rule_note.text()
    assert table.item(row, 3).text() == "10000"
    table.item(row, 3).setText("250")
    qtbot.waitUntil(
        lambda: any(
            r.name == "group-lag-records" and r.threshold == 250 for r in window.history.rules()
        )
    )
    qtbot.waitUntil(lambda: table.item(row, 2).text() == "group.*.lag above 250")
    with AlertLog(runtime.db_path or "") as log:
        assert next(r for r in log.rules() if r.name == "group-lag-records").threshold == 250


@pytest.fixture
def quiet_runtime(tmp_path: Path, run: Any) -> Iterator[EmbeddedRuntime]:
    rt = EmbeddedRuntime(tmp_path / "log.db", demo_rate=None)
    yield rt
    run(stop_runtime(rt))


def test_the_overview_range_shows_history_from_before_a_restart(
    tmp_path: Path, run: Any, qtbot: Any
) -> None:
    db = tmp_path / "log.db"
    # A first run, half an hour ago (its clock says so): its samples say 7 dead letters
    # were pending.
    first = EmbeddedRuntime(db, demo_rate=None)
    first.history.clock = lambda: time.time() - 1800
    run(first.start())
    first.pipeline.stats.start_with_pending(7)
    run(first.stop())
    with HistoryStore(db) as store:
        (past,) = store.read(["dead_letters.pending"])
    assert past.samples[-1][1] == 7.0
    # The restart.
    restarted = time.time()
    second = EmbeddedRuntime(db, demo_rate=None)
    run(second.start())
    run(second.history.sample())
    win = MainWindow(second)
    win.show()
    qtbot.waitExposed(win)
    try:
        overview = win.overview
        overview.set_range(3600)
        chart = overview.depth_history
        qtbot.waitUntil(lambda: bool(chart.samples("all dead letters")), timeout=10_000)
        drawn = chart.samples("all dead letters")
        # One chart: the first run's past and the restarted run's present.
        assert any(t < restarted - 1700 and v == 7.0 for t, v in drawn)
        assert any(t > restarted - 60 and v == 0.0 for t, v in drawn)
        assert overview.depth_stack.currentWidget() is chart
        # A point says its value and time.
        at = next(t for t, v in drawn if v == 7.0)
        text = chart.describe_point(time.time() - at)
        assert text.startswith("all dead letters: 7 letters at ")
        assert time.strftime("%Y-%m-%d", time.localtime(at)) in text
        # The mouse over that point: the chart's tooltip says it.
        scene_point = chart.getPlotItem().getViewBox().mapViewToScene(QPointF(chart._now - at, 3))
        qtbot.mouseMove(chart.viewport(), chart.mapFromScene(scene_point))
        qtbot.waitUntil(lambda: chart.toolTip().startswith("all dead letters: 7 letters at "))
        overview.set_range(300)
        assert overview.depth_stack.currentWidget() is overview.depth_chart
    finally:
        close_window(win, qtbot)


def fill_a_day_of_history(db: Path, now: float) -> None:
    """A day of samples as the window would have left them: a busy shop with a dead-letter
    spike at 14 h ago and a lagging group, rolled up as a day's history is."""
    with HistoryStore(db) as store:
        for i in range(int(DAY / 60)):
            t = now - DAY + i * 60
            hours_ago = (now - t) / HOUR
            spike = 40.0 if 13.9 < hours_ago < 14.1 else 0.0
            wave = 1 + 0.5 * ((i % 120) / 120)
            store.write(
                t,
                {
                    "topic.orders.placed.rate": 20 * wave,
                    "topic.payments.authorized.rate": 18 * wave,
                    "topic.shipping.shipped.rate": 16 * wave,
                    "dead_letters.pending": 2 + spike + (i // 240),
                    "group.billing.lag": 100 + (i % 300),
                },
            )
        store.roll_up(now)
    with AlertLog(db) as log:
        log.add(
            [
                Alert("dead-letters-pending", "dead_letters.pending", now - 14 * HOUR, 42,
                      "dead letters: 42 pending (above 0)", "dead_letters", None),
                Alert("group-lag-seconds", "group.billing.lag_seconds", now - 3 * HOUR, 960,
                      "group billing is 16 min behind (above 5 min)", "group", "billing"),
                Alert("topic-quiet", "topic.audit.log.rate", now - 600, 12.5,
                      "topic audit.log quiet for 5 min (it had 12.50 events/s before)",
                      "topic", "audit.log"),
            ]
        )  # fmt: skip
        (quiet,) = [a for a in log.alerts() if a.rule == "topic-quiet"]
        log.acknowledge([quiet.id or 0])


def test_screenshots_of_the_24_h_overview_and_the_alerts_view_at_1024x700(
    quiet_runtime: EmbeddedRuntime, run: Any, qtbot: Any
) -> None:
    fill_a_day_of_history(Path(quiet_runtime.db_path or ""), time.time())
    run(quiet_runtime.start())
    win = MainWindow(quiet_runtime)
    win.show()
    qtbot.waitExposed(win)
    try:
        win.resize(LAPTOP_W, LAPTOP_H)
        win.show_view("overview")
        win.overview.range_buttons.button(86_400).click()
        overview = win.overview
        qtbot.waitUntil(lambda: len(overview.rate_history.names()) == 3, timeout=10_000)
        qtbot.waitUntil(lambda: bool(overview.lag_history.samples("billing")), timeout=10_000)
        assert overview.range_buttons.checkedId() == 86_400
        # The spike 14 h ago survived its roll-ups.
        assert max(v for _, v in overview.depth_history.samples("all dead letters")) >= 40
        assert overview.lag_stack.isVisible() and not overview.lag_hint.isVisible()
        qtbot.waitUntil(lambda: settled(win, "overview"), timeout=5_000)
        save_shot(win, "overview_24h_1024x700.png")

        win.show_view("alerts")
        view = win.alerts
        qtbot.waitUntil(lambda: view.model.rowCount() == 3, timeout=10_000)
        assert view.summary.text() == "3 alerts, 2 to acknowledge"
        assert [view.model.alert(r).rule for r in range(3)] == [
            "topic-quiet",
            "group-lag-seconds",
            "dead-letters-pending",
        ]
        labels = [view.table.indexWidget(view.model.index(r, OPEN)).text() for r in range(3)]
        assert labels == ["Open topic", "Open groups", "Open dead letters"]
        qtbot.waitUntil(lambda: settled(win, "alerts"), timeout=5_000)
        assert win.width() == LAPTOP_W and win.height() == LAPTOP_H
        save_shot(win, "alerts_1024x700.png")
        # "Open topic" shows that topic's events.
        view.table.indexWidget(view.model.index(0, OPEN)).click()
        qtbot.waitUntil(lambda: not win.docks["stream"].visibleRegion().isEmpty())
    finally:
        close_window(win, qtbot)


def test_a_click_on_the_dead_letter_history_opens_the_letter_of_that_moment(
    window: MainWindow, runtime: EmbeddedRuntime, run: Any, qtbot: Any
) -> None:
    qtbot.waitUntil(lambda: runtime.pipeline.stats.dead_letters_pending > 0, timeout=20_000)
    qtbot.waitUntil(lambda: runtime.writer is not None and runtime.writer.backlog == 0)
    run(runtime.history.sample())
    window.resize(LAPTOP_W, LAPTOP_H)
    window.show_view("overview")
    overview = window.overview
    overview.set_range(3600)
    chart = overview.depth_history
    qtbot.waitUntil(
        lambda: any(v > 0 for _, v in chart.samples("all dead letters")), timeout=10_000
    )
    at, _value = next((t, v) for t, v in chart.samples("all dead letters") if v > 0)
    view_box = chart.getPlotItem().getViewBox()
    scene_point = view_box.mapViewToScene(QPointF(chart._now - at, 0.5))
    point = chart.mapFromScene(scene_point)
    qtbot.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: not window.docks["dead_letters"].visibleRegion().isEmpty())
    qtbot.waitUntil(lambda: window.dead_letters.current_letter() is not None, timeout=10_000)
    letter = window.dead_letters.current_letter()
    assert letter is not None and at - 1 <= letter.created_at <= at + 10

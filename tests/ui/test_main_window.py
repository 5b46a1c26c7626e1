"""The main window on the running demo: data arrives, numbers show, closing is clean."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Any

from PySide6.QtGui import QImage

from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.main_window import MainWindow, status_text

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def test_window_shows_the_live_demo(window: MainWindow, qtbot: Any) -> None:
    assert window.windowTitle() == "Eventflow Monitor"
    assert window.isVisible()
    qtbot.waitUntil(lambda: window.table_model.rowCount() > 0, timeout=10_000)
    # The chart leaves the second in progress out, so data shows after one full second.
    qtbot.waitUntil(window.rate_chart.has_data, timeout=10_000)
    assert len(window.rate_chart.topics()) >= 1
    qtbot.waitUntil(lambda: window.total_card.value_text() != "0", timeout=5_000)
    for card in (window.total_card, window.rate_card, window.dead_letters_card):
        assert card.value_text().replace(",", "").isdigit(), card.value_text()
    assert window.malformed_card.value_text() == "0"
    status = window._status_source.text()
    # A busy machine reaches less than the rate asked for, and the status says so.
    assert status == "Embedded bus - demo running at 200 orders/s" or (
        status.startswith("Embedded bus - demo asked for 200 orders/s, reaching ")
        and status.endswith("(as fast as this machine goes)")
    ), status
    assert window.runtime.db_path in window._status_log.text()


def test_a_demo_rate_beyond_the_machine_says_the_rate_it_reaches(
    tmp_path: Path, run: Any, qtbot: Any
) -> None:
    runtime = EmbeddedRuntime(tmp_path / "log.db", demo_rate=1_000_000)
    run(runtime.start())
    try:
        qtbot.waitUntil(lambda: "reaching" in status_text(runtime), timeout=20_000)
        text = status_text(runtime)
        assert text.startswith("Embedded bus - demo asked for 1,000,000 orders/s, reaching ")
        assert "as fast as this machine goes" in text
    finally:
        run(runtime.stop())


def test_dead_letters_pending_turns_red(window: MainWindow, qtbot: Any) -> None:
    card = window.dead_letters_card
    window.runtime.pipeline.stats.dead_letters_changed(+3, new=3)  # as the pipeline does
    qtbot.waitUntil(lambda: card.value_text() != "0", timeout=5_000)
    assert int(card.value_text().replace(",", "")) >= 3
    assert card.is_alert()


def test_table_keeps_a_scrolled_view_still(window: MainWindow, qtbot: Any) -> None:
    window.show_view("stream")  # the user is looking at the table while scrolling it
    view = window.table_view
    qtbot.waitUntil(lambda: window.table_model.rowCount() > 200, timeout=10_000)
    scrollbar = view.verticalScrollBar()
    # The scroll range follows the rows a pass of the event loop later.
    qtbot.waitUntil(lambda: scrollbar.maximum() >= 50, timeout=10_000)
    scrollbar.setValue(50)
    assert scrollbar.value() == 50
    anchored = window.table_model.envelope(50)
    top = window.table_model.envelope(0)
    # Scrolled away from the top, the rows hold still: new ones wait, and say so...
    status = window.stream.live_status
    qtbot.waitUntil(lambda: "new waiting while you read" in status.text(), timeout=5_000)
    assert window.table_model.envelope(scrollbar.value()) is anchored
    assert window.table_model.envelope(0) is top
    # ...until the user is back at the top.
    scrollbar.setValue(0)
    qtbot.waitUntil(lambda: window.table_model.envelope(0) is not top, timeout=5_000)
    assert "waiting" not in status.text()


def test_closing_stops_the_runtime_cleanly(
    window: MainWindow, runtime: EmbeddedRuntime, qtbot: Any, loop: Any, caplog: Any, capfd: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    qtbot.waitUntil(lambda: runtime.pipeline.accepted > 100, timeout=10_000)
    with qtbot.waitSignal(window.closed, timeout=20_000):
        window.close()
    assert window.is_closed()
    assert not window.isVisible()
    assert not runtime.started
    # The log writer flushed everything the pipeline took in.
    assert runtime.writer is not None
    assert runtime.writer.last_error is None
    assert runtime.writer.written == runtime.pipeline.accepted
    # Nothing of the runtime is left pending on the loop.
    gc.collect()
    qtbot.wait(100)
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    assert pending == []
    out, err = capfd.readouterr()
    for text in (caplog.text, out, err):
        assert "Task was destroyed" not in text
        assert "Task exception was never retrieved" not in text
    # The `loop` fixture then fails the test if any error reached the loop's handler.


def test_closing_twice_while_stopping_is_harmless(window: MainWindow, qtbot: Any) -> None:
    with qtbot.waitSignal(window.closed, timeout=20_000):
        window.close()
        window.close()
    assert window.is_closed()


def test_screenshot_after_two_seconds_of_demo(window: MainWindow, qtbot: Any) -> None:
    window.resize(1280, 820)
    qtbot.wait(2_000)
    qtbot.waitUntil(window.rate_chart.has_data, timeout=10_000)
    qtbot.wait(300)  # one more stats tick after the resize
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "main_window.png"
    # What the picture shows: live rows in the table and a curve per topic on the chart.
    assert window.table_model.rowCount() > 0 and len(window.rate_chart.topics()) >= 1
    assert window.total_card.value_text() != "0"
    assert window.grab().save(str(path))
    image = QImage(str(path))
    assert image.width() >= 1000 and image.height() >= 700

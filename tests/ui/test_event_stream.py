"""The event stream view, driven as a user drives it, on the running embedded demo."""

from __future__ import annotations

import base64
import csv
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QAbstractItemView, QApplication, QTableView

from monitor.core import event_search
from monitor.core.envelope import Envelope
from monitor.core.event_filter import EventFilter
from monitor.core.eventlog import Retention
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui import theme
from monitor.ui.context import AppContext
from monitor.ui.event_table_model import Column, EventTableModel
from monitor.ui.live_feed import LiveFeed
from monitor.ui.views import event_stream, event_stream_search
from monitor.ui.views.event_stream import LIVE_TAB, SEARCH_TAB, EventStreamView
from monitor.ui.views.event_stream_details import details_html, hex_dump
from monitor.ui.views.event_stream_export import CSV_COLUMNS, csv_row, export_events, format_for
from monitor.ui.views.event_stream_search import SearchOutcome

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
WAIT_MS = 10_000


@pytest.fixture
def context(runtime: EmbeddedRuntime) -> Iterator[AppContext]:
    feed = LiveFeed(runtime.pipeline)
    feed.start()
    yield AppContext(runtime=runtime, feed=feed)
    feed.stop()


def open_view(context: AppContext, qtbot: Any) -> EventStreamView:
    view = EventStreamView(context)
    qtbot.addWidget(view)
    view.resize(1280, 760)
    view.show()
    qtbot.waitExposed(view)
    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow)  # keyboard shortcuts need the active window
    return view


@pytest.fixture
def view(context: AppContext, qtbot: Any, run: Any) -> Iterator[EventStreamView]:
    widget = open_view(context, qtbot)
    yield widget
    widget.cancel_search()
    run(widget.wait_search())


def rows(view: EventStreamView) -> list[Envelope]:
    return view.live_model.envelopes()


def wait_for_rows(qtbot: Any, view: EventStreamView, n: int = 20) -> None:
    qtbot.waitUntil(lambda: view.live_model.rowCount() >= n, timeout=WAIT_MS)


def click_row(
    qtbot: Any,
    table: QTableView,
    row: int,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    rect = table.visualRect(table.model().index(row, Column.TYPE))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def accept(runtime: EmbeddedRuntime, event: Envelope) -> Envelope:
    runtime.pipeline.accept(event)
    return event


def malformed_record() -> Envelope:
    return Envelope(
        type="",
        source="kafka://local/orders",
        topic="orders.raw",
        partition=3,
        offset=4242,
        key="ord-17",
        headers={"x-trace": "trace-17"},
        malformed=True,
        error="payload is not JSON: Expecting value: line 1 column 1 (char 0)",
        raw=b"\x00\xffnot json{",
        data=None,
    )


# -- the live table ----------------------------------------------------------------------


def test_the_live_table_fills_newest_first_from_the_running_demo(
    view: EventStreamView, context: AppContext, qtbot: Any
) -> None:
    wait_for_rows(qtbot, view)
    with qtbot.waitSignal(context.feed.events_arrived, timeout=WAIT_MS) as blocker:
        pass
    batch = blocker.args[0]
    assert view.live_model.envelope(0) is batch[-1]  # the newest of the batch on top
    assert view.live_model.envelope(len(batch) - 1) is batch[0]
    assert "newest events" in view.live_status.text()


def test_typing_a_type_and_pressing_enter_shows_only_that_type(
    view: EventStreamView, qtbot: Any
) -> None:
    wait_for_rows(qtbot, view)
    # Some payments among what arrived, or a slow machine may filter down to nothing.
    qtbot.waitUntil(lambda: any(e.type == "PaymentAuthorized" for e in rows(view)), timeout=WAIT_MS)
    qtbot.keyClicks(view.filter_bar.type_edit, "paymentauthorized")
    qtbot.keyClick(view.filter_bar.type_edit, Qt.Key.Key_Return)
    assert view.filter == EventFilter(type="paymentauthorized")  # at once, on Enter
    assert rows(view) and {e.type for e in rows(view)} == {"PaymentAuthorized"}
    shown = view.live_model.rowCount()
    qtbot.waitUntil(lambda: view.live_model.rowCount() > shown, timeout=WAIT_MS)
    assert {e.type for e in rows(view)} == {"PaymentAuthorized"}  # new ones match too
    assert "matching events" in view.live_status.text()
    # The refill saw every buffered event: events that came after it are no reason to
    # say it looked at only some of them.
    assert "looked at the newest" not in view.live_status.text()


def test_free_text_filters_payloads_once_typing_pauses(view: EventStreamView, qtbot: Any) -> None:
    wait_for_rows(qtbot, view)
    qtbot.keyClicks(view.filter_bar.text_edit, '"carrier"')
    qtbot.waitUntil(lambda: view.filter.text == '"carrier"', timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.live_model.rowCount() > 0, timeout=WAIT_MS)
    assert all("carrier" in e.data for e in rows(view))
    assert {e.type for e in rows(view)} == {"OrderShipped"}
    # Clear brings every event back.
    qtbot.mouseClick(view.filter_bar.clear_button, Qt.MouseButton.LeftButton)
    assert view.filter.is_empty
    assert len({e.type for e in rows(view)}) > 1


def test_pause_stops_new_rows_and_space_in_the_table_resumes(
    view: EventStreamView, qtbot: Any
) -> None:
    wait_for_rows(qtbot, view)
    qtbot.mouseClick(view.pause_button, Qt.MouseButton.LeftButton)
    assert view.paused and view.pause_action.isChecked()
    top, count = view.live_model.envelope(0), view.live_model.rowCount()
    qtbot.waitUntil(lambda: view.waiting > 0, timeout=WAIT_MS)
    assert view.live_model.rowCount() == count and view.live_model.envelope(0) is top
    assert "Paused" in view.live_status.text()

    view.live_table.setFocus()
    qtbot.keyClick(view.live_table, Qt.Key.Key_Space)
    assert not view.paused
    assert view.live_model.envelope(0) is not top  # what arrived meanwhile is shown
    assert view.waiting == 0
    newest = view.live_model.envelope(0)
    qtbot.waitUntil(lambda: view.live_model.envelope(0) is not newest, timeout=WAIT_MS)


# -- searching the log -------------------------------------------------------------------


def test_the_log_search_finds_an_event_no_longer_in_the_live_table(
    view: EventStreamView, runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    marker = accept(
        runtime,
        Envelope(type="AuditNote", source="test/audit", topic="audit", data={"note": "ndl-7f3a"}),
    )
    qtbot.waitUntil(lambda: any(e is marker for e in rows(view)), timeout=WAIT_MS)
    view.clear_action.trigger()
    assert not any(e is marker for e in rows(view))
    assert runtime.log is not None
    qtbot.waitUntil(lambda: bool(runtime.log.events(type="AuditNote")), timeout=WAIT_MS)

    qtbot.keyClicks(view.filter_bar.text_edit, "NDL-7F3A")
    with qtbot.waitSignal(view.search.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(view.filter_bar.search_button, Qt.MouseButton.LeftButton)
    assert view.tabs.currentIndex() == SEARCH_TAB
    assert [e.id for e in view.search_model.envelopes()] == [marker.id]
    assert blocker.args[0].complete
    assert view.search_status.text().startswith("1 match for text")
    assert view.details.current_event is not None  # the first result is selected
    assert view.details.current_event.id == marker.id
    assert not any(e.id == marker.id for e in rows(view))


def test_enter_in_the_search_tab_searches_by_correlation_id(
    view: EventStreamView, runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    wait_for_rows(qtbot, view, 50)
    chain_id = view.live_model.envelope(30).chain_id
    assert runtime.log is not None
    qtbot.waitUntil(lambda: bool(runtime.log.chain_events(chain_id)), timeout=WAIT_MS)
    view.tabs.setCurrentIndex(SEARCH_TAB)
    qtbot.keyClicks(view.filter_bar.correlation_edit, chain_id)
    with qtbot.waitSignal(view.search.finished, timeout=WAIT_MS) as blocker:
        qtbot.keyClick(view.filter_bar.correlation_edit, Qt.Key.Key_Return)
    assert blocker.args[0].used_index
    found = view.search_model.envelopes()
    assert found and {e.chain_id for e in found} == {chain_id}


def test_a_search_shows_progress_can_be_cancelled_and_continued(
    view: EventStreamView, runtime: EmbeddedRuntime, qtbot: Any, monkeypatch: Any
) -> None:
    # Tiny steps so that even a small log takes many of them.
    monkeypatch.setattr(event_search, "_FIRST_STEP_ROWS", 20)
    monkeypatch.setattr(event_search, "_MIN_STEP_ROWS", 20)
    monkeypatch.setattr(event_stream_search, "FIRST_STEP_SECONDS", 0.0)
    monkeypatch.setattr(event_stream_search, "STEP_SECONDS", 0.0)
    assert runtime.log is not None
    qtbot.waitUntil(lambda: runtime.log.count_events() > 400, timeout=WAIT_MS)
    view.filter_bar.type_edit.setText("NoSuchType")
    with qtbot.waitSignal(view.search.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(view.filter_bar.search_button, Qt.MouseButton.LeftButton)
        assert view.searching
        assert view.search_progress.isVisible() and view.cancel_button.isVisible()
        qtbot.mouseClick(view.cancel_button, Qt.MouseButton.LeftButton)
    outcome = blocker.args[0]
    assert outcome.cancelled and not outcome.complete and outcome.next_before is not None
    assert view.search_status.text().startswith("Cancelled: 0 matches")
    assert view.older_button.isVisible() and not view.cancel_button.isVisible()

    with qtbot.waitSignal(view.search.finished, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(view.older_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].complete and blocker.args[0].found == 0
    assert "in the whole log" in view.search_status.text()
    assert not view.older_button.isVisible()


def test_without_an_event_log_searching_is_off_and_says_why(qtbot: Any) -> None:
    bare = EmbeddedRuntime(None, demo_rate=None)
    view = open_view(AppContext(runtime=bare, feed=LiveFeed(bare.pipeline)), qtbot)
    assert not view.filter_bar.search_button.isEnabled()
    assert "live view only" in view.filter_bar.search_button.toolTip()
    view.search_log()
    assert "no event log" in view.notice.text()
    assert "no event log" in view.search_status.text().lower()


def test_the_search_tab_says_how_much_the_log_keeps(qtbot: Any, tmp_path: Path, run: Any) -> None:
    rt = EmbeddedRuntime(tmp_path / "log.db", demo_rate=None, retention=Retention(250_000))
    run(rt.start())
    try:
        view = open_view(AppContext(runtime=rt, feed=LiveFeed(rt.pipeline)), qtbot)
        assert "The log keeps the newest 250,000 events" in view.search_status.text()
        assert "--keep" in view.search_status.text()
    finally:
        run(rt.stop())


def test_a_flood_with_an_expensive_filter_is_bounded_and_counted(
    qtbot: Any, monkeypatch: Any
) -> None:
    bare = EmbeddedRuntime(None, demo_rate=None)
    context = AppContext(runtime=bare, feed=LiveFeed(bare.pipeline))
    view = open_view(context, qtbot)
    view.apply_filter(EventFilter(text="flood"))
    monkeypatch.setattr(event_stream, "TICK_FILTER_SECONDS", 0.0)  # no time at all
    flood = [Envelope(type="T", source="s", data={"n": "flood"}) for _ in range(2000)]
    context.feed.events_arrived.emit(flood, 0)  # one 10 Hz tick's worth, pushed through
    shown = view.live_model.rowCount()
    assert 0 < shown < 2000
    assert view.live_model.envelope(0) is flood[-1]  # the newest were looked at first
    assert f"{2000 - shown:,} went by too fast to show" in view.live_status.text()


# -- details, chains, export -------------------------------------------------------------


def test_the_details_pane_shows_a_malformed_records_reason_origin_and_raw_bytes(
    view: EventStreamView, runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    bad = accept(runtime, malformed_record())
    qtbot.mouseClick(view.filter_bar.malformed_check, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(e is bad for e in rows(view)), timeout=WAIT_MS)
    assert all(e.malformed for e in rows(view))
    row = next(i for i, e in enumerate(rows(view)) if e is bad)
    brush = view.live_model.data(view.live_model.index(row, 0), Qt.ItemDataRole.ForegroundRole)
    assert isinstance(brush, QBrush) and brush.color().name() == theme.WARNING

    click_row(qtbot, view.live_table, row)
    assert view.details.current_event is bad
    text = view.details.text()
    assert "Malformed record" in text
    assert "payload is not JSON: Expecting value" in text
    assert "00 ff 6e 6f 74 20 6a 73  6f 6e 7b" in text  # the hex dump
    assert "|..not json{|" in text and "not json{" in text
    assert "x-trace" in text and "trace-17" in text
    assert "orders.raw" in text and "4242" in text and "ord-17" in text
    assert theme.WARNING in details_html(bad)  # the banner is in the warning colour


def test_the_details_pane_shows_the_payload_indented_and_the_headers(
    view: EventStreamView, runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    event = accept(
        runtime,
        Envelope(
            type="RefundIssued",
            source="test/refunds",
            topic="refunds",
            key="ord-99",
            headers={"traceparent": "00-abc-def-01"},
            data={"orderId": "ord-99", "lines": [{"sku": "SKU-1", "qty": 2}]},
        ),
    )
    view.filter_bar.type_edit.setText("RefundIssued")
    qtbot.keyClick(view.filter_bar.type_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.live_model.rowCount() == 1, timeout=WAIT_MS)
    click_row(qtbot, view.live_table, 0)
    text = view.details.text()
    assert '{\n  "orderId": "ord-99",\n  "lines": [' in text
    assert "traceparent" in text and "00-abc-def-01" in text
    assert event.id in text and "refunds" in text
    assert "Malformed" not in text


def test_double_click_emits_the_chain_id_once(view: EventStreamView, qtbot: Any) -> None:
    wait_for_rows(qtbot, view)
    view.pause()  # rows stay put under the mouse
    event = view.live_model.envelope(2)
    emitted: list[str] = []
    view.chain_requested.connect(emitted.append)
    rect = view.live_table.visualRect(view.live_model.index(2, Column.TYPE))
    viewport, left = view.live_table.viewport(), Qt.MouseButton.LeftButton
    with qtbot.waitSignal(view.chain_requested, timeout=WAIT_MS):
        # A real double-click is a click and then a double-click event: QTest's
        # mouseDClick alone leaves the view without the first release.
        qtbot.mouseClick(viewport, left, pos=rect.center())
        qtbot.mouseDClick(viewport, left, pos=rect.center())
    assert emitted == [event.chain_id]
    # The details pane's button asks for the same chain.
    with qtbot.waitSignal(view.chain_requested, timeout=WAIT_MS) as blocker:
        qtbot.mouseClick(view.details.chain_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [event.chain_id]


def test_a_click_holds_new_rows_back_for_the_double_click_then_lets_them_in(
    view: EventStreamView, qtbot: Any
) -> None:
    # The demo adds rows on top all the time: without the hold, the row under the pointer
    # changed between the two clicks of a double-click, and nothing (or another chain)
    # opened.
    wait_for_rows(qtbot, view, 10)
    model = view.live_model
    viewport, left = view.live_table.viewport(), Qt.MouseButton.LeftButton
    where = view.live_table.visualRect(model.index(3, Column.TYPE)).center()
    qtbot.mouseClick(viewport, left, pos=where)
    clicked, top = model.envelope(3), model.envelope(0)
    qtbot.wait(250)  # inside the double-click time; the feed ticks every 100 ms
    assert model.envelope(3) is clicked and model.envelope(0) is top
    with qtbot.waitSignal(view.chain_requested, timeout=WAIT_MS) as opened:
        qtbot.mouseDClick(viewport, left, pos=where)
    assert opened.args == [clicked.chain_id]
    # Then the rows that waited come in.
    qtbot.waitUntil(lambda: model.envelope(0) is not top, timeout=WAIT_MS)


def test_export_writes_the_selection_as_json_lines_and_the_shown_set_as_csv(
    view: EventStreamView, runtime: EmbeddedRuntime, qtbot: Any, tmp_path: Path
) -> None:
    accept(runtime, malformed_record())
    wait_for_rows(qtbot, view, 30)
    view.pause()
    click_row(qtbot, view.live_table, 0)
    click_row(qtbot, view.live_table, 2, Qt.KeyboardModifier.ShiftModifier)
    selected = view.live_model.envelopes()[:3]

    assert view.export_to(str(tmp_path / "sel.jsonl"), selection=True) == 3
    lines = (tmp_path / "sel.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["id"] for r in records] == [e.id for e in reversed(selected)]  # oldest first
    assert records[0] == json.loads(json.dumps(selected[-1].to_dict()))

    shown = view.live_model.rowCount()
    assert view.export_to(str(tmp_path / "all.csv")) == shown
    with open(tmp_path / "all.csv", encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        table = list(reader)
    assert len(table) == shown
    by_id = {e.id: e for e in view.live_model.envelopes()}
    for row in table:
        event = by_id[row["id"]]
        assert row["type"] == event.type
        assert (json.loads(row["data"]) if row["data"] else None) == event.data
        assert row["malformed"] == ("true" if event.malformed else "false")
        assert row["format"] == (event.format or "")
        if event.raw is not None:
            assert base64.b64decode(row["raw"]) == event.raw


def test_the_export_action_asks_for_a_file_and_writes_it_off_the_event_loop(
    view: EventStreamView, qtbot: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    wait_for_rows(qtbot, view)
    view.pause()
    target = tmp_path / "picked"  # no suffix: the chosen filter decides, and adds it
    asked: list[str] = []

    def pick(_parent: Any, title: str, _name: str, _filters: str) -> tuple[str, str]:
        asked.append(title)
        return str(target), "CSV (*.csv)"

    monkeypatch.setattr(event_stream.QFileDialog, "getSaveFileName", pick)
    shown = view.live_model.rowCount()
    view.live_table.setFocus()
    qtbot.keyClick(view.live_table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert asked == [f"Export {shown:,} shown events"]  # nothing selected: all shown
    qtbot.waitUntil(lambda: view.notice.text().startswith("Exported"), timeout=WAIT_MS)
    assert str(tmp_path / "picked.csv") in view.notice.text()
    with open(tmp_path / "picked.csv", encoding="utf-8-sig", newline="") as f:
        assert len(list(csv.DictReader(f))) == shown
    # One row clicked (to read its details) is not a choice to export only it: Ctrl+E
    # still exports what is shown. Several rows selected are. (The dialog is declined.)
    monkeypatch.setattr(
        event_stream.QFileDialog,
        "getSaveFileName",
        lambda _parent, title, _name, _filters: (asked.append(title), ("", ""))[1],
    )
    click_row(qtbot, view.live_table, 0)
    qtbot.keyClick(view.live_table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert asked[-1] == f"Export {shown:,} shown events"
    click_row(qtbot, view.live_table, 1, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(view.live_table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert asked[-1] == "Export 2 selected events"


def test_export_functions_round_trip_every_field(tmp_path: Path) -> None:
    events = [
        malformed_record(),
        Envelope(type="OrderPlaced", source="s", data={"note": 'café, "quoted"\nline'}),
    ]
    assert export_events(tmp_path / "x.jsonl", events, "jsonl") == 2
    back = [
        Envelope.from_dict(json.loads(line))
        for line in (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert [(e.id, e.raw, e.data, e.error, e.headers) for e in back] == [
        (e.id, e.raw, e.data, e.error, e.headers) for e in events
    ]
    assert export_events(tmp_path / "x.csv", events, "csv") == 2
    with open(tmp_path / "x.csv", encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert json.loads(table[1]["data"]) == events[1].data
    assert json.loads(table[0]["headers"]) == {"x-trace": "trace-17"}
    assert not list(tmp_path.glob("*.part"))  # written aside, then moved into place
    assert format_for("a.CSV") == "csv" and format_for("a", "CSV (*.csv)") == "csv"
    assert format_for("a.jsonl", "CSV (*.csv)") == "jsonl" and format_for("a") == "jsonl"


def test_export_of_values_strict_readers_refuse_writes_valid_files(tmp_path: Path) -> None:
    # A logged payload may hold a lone surrogate ("\ud800", from a Kafka record) or NaN:
    # the export used to fail as a whole on it.
    odd = Envelope(type="Odd", source="s", key="k\udc80", data={"t": "\ud800", "n": float("nan")})
    assert export_events(tmp_path / "x.jsonl", [odd], "jsonl") == 1
    line = (tmp_path / "x.jsonl").read_text(encoding="utf-8").strip()
    assert json.loads(line, parse_constant=lambda name: pytest.fail(name))["data"] == {
        "t": "\ud800",
        "n": None,
    }
    assert export_events(tmp_path / "x.csv", [odd], "csv") == 1
    with open(tmp_path / "x.csv", encoding="utf-8-sig", newline="") as f:
        row = next(csv.DictReader(f))
    assert row["key"] == "k\\udc80"  # the escape, as text
    assert json.loads(row["data"]) == {"t": "\ud800", "n": None}


# -- keyboard, settings, model -----------------------------------------------------------


def test_ctrl_f_puts_the_cursor_in_the_text_filter(view: EventStreamView, qtbot: Any) -> None:
    view.live_table.setFocus()
    qtbot.keyClick(view.live_table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is view.filter_bar.text_edit
    # Esc empties the field, and the filter with it
    qtbot.keyClicks(view.filter_bar.text_edit, "ord-0001")
    qtbot.keyClick(view.filter_bar.text_edit, Qt.Key.Key_Return)
    assert view.filter.text == "ord-0001"
    qtbot.keyClick(view.filter_bar.text_edit, Qt.Key.Key_Escape)
    assert view.filter_bar.text_edit.text() == "" and view.filter.text == ""


def test_tab_walks_the_filter_bar_then_the_table_and_the_details(
    view: EventStreamView, qtbot: Any
) -> None:
    bar = view.filter_bar
    expected = [
        bar.topic_edit,
        bar.source_edit,
        bar.correlation_edit,
        bar.text_edit,
        bar.malformed_check,
        bar.clear_button,
        bar.search_button,
        view.tabs.tabBar(),
        view.live_table,
        view.details.browser,
    ]
    bar.type_edit.setFocus()
    walked = []
    for _ in expected:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        walked.append(QApplication.focusWidget())
    assert walked == expected


def test_the_filter_and_layout_are_kept_in_the_settings(
    context: AppContext, qtbot: Any, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    context.settings = settings
    first = open_view(context, qtbot)
    first.apply_filter(EventFilter(topic="payments", text="ord"))
    first.save_state()
    second = open_view(context, qtbot)
    assert second.filter == EventFilter(topic="payments", text="ord")
    assert second.filter_bar.topic_edit.text() == "payments"
    # A settings file with nonsense in it gives the defaults, not an error.
    settings.setValue("event_stream/filter", "{not json")
    third = open_view(context, qtbot)
    assert third.filter.is_empty


def test_the_event_table_model_passes_qts_model_checks(qtmodeltester: Any) -> None:
    def make(n: int, start: int = 0) -> list[Envelope]:
        return [Envelope(type="T", source="s", subject=f"e{i}") for i in range(start, start + n)]

    model = EventTableModel(capacity=50)
    model.append_batch(make(10))
    qtmodeltester.check(model)
    assert model.extend_older(make(45, 10)) == 40  # bounded: only what fits
    assert model.is_full and model.extend_older(make(1)) == 0
    model.replace_all(make(5)[::-1])
    assert [model.envelope(r).subject for r in range(5)] == ["e4", "e3", "e2", "e1", "e0"]
    model.append_batch(make(60, 100))
    assert model.rowCount() == 50
    qtmodeltester.check(model)


def test_hex_dump_lines_up_offsets_bytes_and_text() -> None:
    dump = hex_dump(bytes(range(20)) + b"AB", limit=18)
    first, second, more = dump.splitlines()
    assert first.startswith("00000000  00 01 02 03 04 05 06 07  08 09")
    assert first.endswith("|................|")
    assert second.startswith("00000010  10 11 ")
    assert more == "... 4 more bytes"


# -- how it looks ------------------------------------------------------------------------


def settle_layouts() -> None:
    """Deliver pending layout requests (labels whose text just changed) before a grab."""
    for _ in range(3):
        QApplication.sendPostedEvents()


def test_screenshot(view: EventStreamView, runtime: EmbeddedRuntime, qtbot: Any) -> None:
    """Saves tests/artifacts/event_stream.png (live) and event_stream_search.png."""
    wait_for_rows(qtbot, view, 400)
    bad = accept(runtime, malformed_record())  # a warning-coloured row near the top
    qtbot.waitUntil(lambda: any(e is bad for e in rows(view)), timeout=WAIT_MS)
    view.pause()
    shown = rows(view)
    bad_row = next(i for i, e in enumerate(shown) if e is bad)
    near = range(max(0, bad_row - 8), min(len(shown), bad_row + 8))
    row = next((i for i in near if shown[i].type == "OrderPlaced"), bad_row)
    view.live_table.scrollTo(
        view.live_model.index(bad_row, 0), QAbstractItemView.ScrollHint.PositionAtCenter
    )
    click_row(qtbot, view.live_table, row)
    ARTIFACTS.mkdir(exist_ok=True)
    assert view.tabs.currentIndex() == LIVE_TAB
    settle_layouts()
    assert view.grab().save(str(ARTIFACTS / "event_stream.png"))

    view.filter_bar.text_edit.setText("DHL")
    with qtbot.waitSignal(view.search.finished, timeout=WAIT_MS):
        view.search_log()
    click_row(qtbot, view.search_table, 1)
    settle_layouts()
    # What the second picture shows: the log's matches for "DHL", one of them in details.
    assert view.search_model.rowCount() >= 2
    assert "DHL" in view.details.browser.toPlainText()
    assert view.grab().save(str(ARTIFACTS / "event_stream_search.png"))


def test_details_of_a_binary_value_and_a_tombstone_say_what_they_are() -> None:
    raw = bytes([0x07, 0x9F, 0x00, 0xFE]) * 3
    binary = Envelope(type="t", source="s", data=None, raw=raw, format="binary", key="k-1")
    page = details_html(binary)
    assert "Binary: not text, JSON or a known format" in page
    assert "RAW BYTES AS BASE64" in page.upper() and base64.b64encode(raw).decode() in page
    # The bytes are the payload: shown with it, before the headers, not at the bottom.
    assert page.upper().index("RAW BYTES (12)") < page.upper().index("HEADERS")
    tombstone = Envelope(type="t", source="s", data=None, format="tombstone", key="k-1")
    page = details_html(tombstone)
    assert "A tombstone for key k-1" in page and "RAW BYTES" not in page.upper()


def test_a_csv_row_says_what_format_and_schema_decoded_the_value_and_the_key() -> None:
    schema = {"id": 42, "subject": "orders-value", "version": 3, "name": "com.acme.Order"}
    event = Envelope(
        type="com.acme.Order",
        source="kafka",
        data={"orderId": "o-1"},
        format="avro",
        schema=schema,
        key="o-1",
        key_format="text",
    )
    row = dict(zip(CSV_COLUMNS, csv_row(event), strict=True))
    assert row["format"] == "avro" and json.loads(row["schema"]) == schema
    assert row["key_format"] == "text" and row["key_schema"] == ""


def test_a_search_says_how_many_undecoded_events_it_could_not_search_inside() -> None:
    outcome = SearchOutcome(
        filter=EventFilter(text="corr-2"),
        found=0,
        complete=True,
        cancelled=False,
        error=None,
        elapsed=1.0,
        span=30,
        searched_back_to=None,
        next_before=None,
        used_index=False,
        continued=False,
        undecoded_left=12,
    )
    text = EventStreamView._outcome_text(outcome, 0)
    assert text.startswith("0 matches for ")
    assert "12 undecoded events not searched inside (their schema could not be had" in text
    cancelled = dataclasses.replace(outcome, complete=False, cancelled=True, undecoded_left=0)
    # Cancelled before a step ended: not "searched back to the oldest event".
    assert EventStreamView._outcome_text(cancelled, 0).startswith("Cancelled: 0 matches for ")
    assert "oldest" not in EventStreamView._outcome_text(cancelled, 0)

"""The dead-letter view where journeys join it: opened on one letter (a chain's failed
node), filtered by origin (the bus or a cluster), Spring's binary headers read as numbers,
one age everywhere, and the whole view in a 1024x700 window.

Letters are written to the real log with :meth:`EventLog.add_dead_letters`, next to the
running demo's own (which come from the embedded bus).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QComboBox, QWidget

from monitor.core.deadletters import DeadLetter
from monitor.core.decoding import decode_record
from monitor.core.envelope import Envelope
from monitor.core.raw_record import RawRecord
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.display_format import AgeClock
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.live_feed import LiveFeed
from monitor.ui.main_window import MainWindow
from monitor.ui.views.dead_letter_model import Column, letter_origin, origin_label
from monitor.ui.views.dead_letters import SEARCH_MIN_WIDTH, DeadLettersView
from monitor.ui.views.event_stream_details import EventDetailsPane

SHOTS = Path("/tmp/shots")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def open_view(context: AppContext, qtbot: Any) -> DeadLettersView:
    view = DeadLettersView(context)
    view.set_refresh_interval(200)
    view.resize(1280, 800)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def view(context: AppContext, qtbot: Any, run: Any) -> Iterator[DeadLettersView]:
    v = open_view(context, qtbot)
    yield v
    run(v.aclose())
    v.close()
    v.deleteLater()


def letters(
    n: int,
    *,
    topic: str = "billing.invoices",
    reason: str = "InvoiceRejected",
    origin: str = "bus",
    age: float = 0.0,
) -> list[DeadLetter]:
    created = time.time() - age
    return [
        DeadLetter(
            event=Envelope(type="InvoiceIssued", source="test", data={"n": i}, topic=topic),
            reason=f"{reason}: invoice {i} has no customer",
            original_topic=topic,
            handler="billing",
            attempts=3,
            created_at=created - i,
            origin=origin,
        )
        for i in range(n)
    ]


def write(runtime: EmbeddedRuntime, new: list[DeadLetter]) -> None:
    assert runtime.log is not None
    runtime.log.add_dead_letters(new)


def shown_ids(view: DeadLettersView) -> set[str]:
    return {d.id for d in view.proxy.visible_letters()}


def row_is_on_screen(view: DeadLettersView, letter_id: str) -> bool:
    row = view.proxy.row_of(letter_id)
    if row is None:
        return False
    rect = view.table.visualRect(view.proxy.index(row, Column.EVENT_TYPE))
    return view.table.viewport().rect().contains(rect.center())


def choose_origin(qtbot: Any, combo: QComboBox, text: str) -> None:
    """Pick an entry as a user does: open the combo and click it."""
    row = combo.findText(text)
    assert row >= 0, f"{text!r} is not offered: {[combo.itemText(i) for i in range(combo.count())]}"
    combo.showPopup()
    popup = combo.view()
    qtbot.waitUntil(popup.isVisible)
    index = combo.model().index(row, 0)
    popup.scrollTo(index)
    qtbot.mouseClick(
        popup.viewport(), Qt.MouseButton.LeftButton, pos=popup.visualRect(index).center()
    )
    qtbot.waitUntil(lambda: combo.currentIndex() == row)


# -- opened on one letter --------------------------------------------------------------------


def test_show_letter_selects_and_scrolls_to_it_clearing_only_the_filters_that_hide_it(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    batch = letters(80)
    write(runtime, batch)
    qtbot.waitUntil(lambda: {d.id for d in batch} <= {d.id for d in view.model.letters()})
    target = batch[60]  # far down: the table must scroll to it
    # Filters that hide it: a text that matches other letters only, and a reason group
    # it is not in (the demo's). The status filter (pending) shows it and stays.
    qtbot.keyClicks(view.search, "UnknownProduct")
    demo_groups = [g.key for g in view.group_model.groups() if "Invoice" not in g.key]
    if demo_groups:
        view._select_group(demo_groups[0])
    assert target.id not in shown_ids(view)

    assert view.show_letter(target.id) is True

    assert [d.id for d in view.selected_letters()] == [target.id]
    assert view.details.letter is not None and view.details.letter.id == target.id
    assert view.search.text() == ""
    assert view.selected_group is None
    assert view.status_filter == "pending"
    qtbot.waitUntil(lambda: row_is_on_screen(view, target.id))
    # It stays selected through the next reloads.
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        view.refresh()
    assert [d.id for d in view.selected_letters()] == [target.id]


def test_a_letter_opened_from_another_view_is_on_screen_after_the_view_reloads(
    qtbot: Any, window: MainWindow, runtime: EmbeddedRuntime
) -> None:
    # The Catalog's "Open the dead letter", a chain's failed node: the Dead letters view
    # comes on screen, reloads, and the letter must still be in sight, not only selected.
    window.show_view("stream")
    batch = letters(80)
    write(runtime, batch)
    target = batch[10]  # the newest come first: far down the table
    view = window.dead_letters
    with qtbot.waitSignal(view.refreshed, timeout=10_000):
        window.show_dead_letter(target.id)
    qtbot.waitUntil(lambda: [d.id for d in view.selected_letters()] == [target.id])
    qtbot.waitUntil(lambda: row_is_on_screen(view, target.id), timeout=5000)
    # Letters filed meanwhile reload the table again and again: it stays in sight.
    for _ in range(3):
        write(runtime, letters(5))
        with qtbot.waitSignal(view.refreshed, timeout=10_000):
            view.refresh()
        assert row_is_on_screen(view, target.id)


def test_show_letter_switches_to_the_letters_status_and_origin(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    [settled] = letters(1, origin="kafka:staging")
    settled.status = "replayed"
    write(runtime, [settled])
    qtbot.waitUntil(lambda: settled.id in {d.id for d in view.model.letters()}, timeout=5000)
    view.set_origin_filter("bus")
    assert settled.id not in shown_ids(view)

    assert view.show_letter(settled.id)

    assert view.status_filter == "replayed"
    assert view.status_buttons["replayed"].isChecked()
    assert view.origin_filter is None and view.origin_combo.currentText() == "All origins"
    assert [d.id for d in view.selected_letters()] == [settled.id]


def test_show_letter_finds_a_letter_filed_since_the_last_reload_and_refuses_an_unknown_id(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        view.refresh()
    view.set_on_screen(False)  # tabbed away: no reloads from now on
    [fresh] = letters(1, reason="LateInvoice")
    write(runtime, [fresh])
    assert fresh.id not in {d.id for d in view.model.letters()}
    before = [d.id for d in view.selected_letters()]

    assert view.show_letter("no-such-letter") is False
    assert [d.id for d in view.selected_letters()] == before

    assert view.show_letter(fresh.id) is True
    assert [d.id for d in view.selected_letters()] == [fresh.id]
    assert view.details.reason.text() == fresh.reason
    view.set_on_screen(True)  # back on screen: the reload has it too, still selected
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        view.refresh()
    assert [d.id for d in view.selected_letters()] == [fresh.id]


# -- by origin -------------------------------------------------------------------------------


def test_origin_filter_offers_the_bus_and_each_cluster_and_shows_only_that_origin(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    staging = letters(3, origin="kafka:staging", reason="StagingReject", topic="orders")
    prod = letters(2, origin="kafka:prod-eu", reason="ProdReject", topic="orders")
    write(runtime, staging + prod)
    combo = view.origin_combo
    qtbot.waitUntil(lambda: combo.count() == 4, timeout=5000)
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "All origins",
        "Embedded bus",
        "Kafka \u00b7 prod-eu",
        "Kafka \u00b7 staging",
    ]
    qtbot.waitUntil(lambda: runtime.pipeline.stats.dead_letters_total > 0, timeout=20_000)

    choose_origin(qtbot, combo, "Kafka \u00b7 staging")
    assert view.origin_filter == "kafka:staging"
    qtbot.waitUntil(lambda: shown_ids(view) == {d.id for d in staging})
    # The reason groups count the letters of that origin only.
    assert [(g.exception, g.count) for g in view.group_model.groups()] == [("StagingReject", 3)]
    row = view.proxy.row_of(staging[0].id)
    assert row is not None
    assert "staging" in view.proxy.index(row, Column.TOPIC).data(Qt.ItemDataRole.ToolTipRole)

    choose_origin(qtbot, combo, "Embedded bus")
    qtbot.waitUntil(lambda: bool(shown_ids(view)), timeout=10_000)
    assert not shown_ids(view) & {d.id for d in staging + prod}
    assert {d.handler for d in view.proxy.visible_letters()} <= {"warehouse", "billing"}

    choose_origin(qtbot, combo, "All origins")
    assert {d.id for d in staging + prod} <= shown_ids(view)


def test_the_origin_filter_is_remembered_even_before_that_cluster_has_letters(
    qtbot: Any, run: Any, runtime: EmbeddedRuntime, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    context = AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline), settings=settings)
    first = DeadLettersView(context)
    first.set_origin_filter("kafka:staging")
    run(first.aclose())
    first.deleteLater()
    settings.sync()

    second = DeadLettersView(context)
    assert second.origin_filter == "kafka:staging"
    assert second.origin_combo.currentText() == "Kafka \u00b7 staging"
    second.set_origin_filter(None)
    run(second.aclose())
    second.deleteLater()

    third = DeadLettersView(context)
    assert third.origin_filter is None
    run(third.aclose())
    third.deleteLater()


# -- headers and ages --------------------------------------------------------------------------


def spring_letter() -> DeadLetter:
    """A dead letter as the Kafka tail files one from a Spring DLT record."""
    event = decode_record(
        b'{"orderId": "ord-1"}',
        headers=[
            ("kafka_dlt-original-topic", b"orders"),
            ("kafka_dlt-original-partition", (3).to_bytes(4, "big")),
            ("kafka_dlt-original-offset", (200).to_bytes(8, "big")),
            ("kafka_dlt-original-timestamp", (1_765_000_000_123).to_bytes(8, "big")),
            ("kafka_dlt-exception-fqcn", b"java.lang.IllegalStateException"),
        ],
        topic="orders.DLT",
        partition=0,
        offset=7,
    )
    return DeadLetter(
        event=event,
        reason="java.lang.IllegalStateException: no stock",
        original_topic="orders",
        handler="spring",
        origin="kafka:staging",
        id="kafka:orders.DLT:0:7",
    )


def test_spring_binary_headers_read_as_numbers_in_both_details_panes(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    letter = spring_letter()
    write(runtime, [letter])
    assert view.show_letter(letter.id)
    view.details.tabs.setCurrentWidget(view.details.headers)
    headers = view.details.headers.toPlainText()
    assert '"kafka_dlt-original-partition": "3"' in headers
    assert '"kafka_dlt-original-offset": "200"' in headers
    assert '"kafka_dlt-original-timestamp": "1765000000123 (2025-12-06T05:46:40.123Z)"' in headers
    assert "\\u0000" not in headers and "\\\\x" not in headers
    assert view.details.fields["Origin"].text() == "Kafka \u00b7 staging"
    view.resize(1000, 620)
    SHOTS.mkdir(parents=True, exist_ok=True)
    assert view.grab().save(str(SHOTS / "dead_letters_spring_headers.png"))

    pane = EventDetailsPane()
    qtbot.addWidget(pane)
    pane.show_event(letter.event)
    text = pane.text()
    assert "kafka_dlt-original-offset" in text and "200" in text
    assert "\x00" not in text


def test_headers_that_repeat_a_name_or_are_null_show_as_the_pairs_a_replay_sends(
    view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    headers = (("dup", b"1"), ("dup", b"2"), ("gone", None))
    record = RawRecord(b'{"orderId": "ord-2"}', b"k", headers)
    event = decode_record(record.value, list(record.headers), topic="orders.DLT", offset=8)
    letter = DeadLetter(
        event=event,
        reason="boom",
        original_topic="orders",
        origin="kafka:staging",
        id="kafka:orders.DLT:0:8",
        record=record,
    )
    write(runtime, [letter])
    assert view.show_letter(letter.id)
    shown = json.loads(view.details.headers.toPlainText())
    assert shown == [["dup", "1"], ["dup", "2"], ["gone", None]]


def test_the_details_say_the_same_age_as_the_age_column_and_move_on_with_it(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    # One clock the test moves, shared as the view shares its own.
    now = [time.time()]
    ages = AgeClock(lambda: now[0])
    view.model.ages = ages
    view.details.ages = ages
    [letter] = letters(1, age=7 * 60 + 50, reason="SlowInvoice")  # 7 min 50 s ago
    write(runtime, [letter])
    assert view.show_letter(letter.id)
    row = view.proxy.row_of(letter.id)
    assert row is not None
    age_cell = view.proxy.index(row, Column.AGE)
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        view.refresh()
    assert age_cell.data() == "7 min"
    assert view.details.fields["Failed at"].text().endswith("(7 min ago)")

    now[0] += 15  # 8 min 5 s: both move on at the next reload, together
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        view.refresh()
    assert view.proxy.index(view.proxy.row_of(letter.id) or 0, Column.AGE).data() == "8 min"
    assert view.details.fields["Failed at"].text().endswith("(8 min ago)")


# -- a 1024x700 window ---------------------------------------------------------------------------


def right_edge_in(widget: QWidget, ancestor: QWidget) -> int:
    return widget.mapTo(ancestor, QPoint(widget.width(), 0)).x()


def test_the_view_fits_a_1024x700_window_with_every_control_whole(
    qtbot: Any, window: MainWindow, runtime: EmbeddedRuntime
) -> None:
    write(runtime, letters(6, reason="InvoiceRejected"))
    long_reason = (
        "org.springframework.kafka.listener.ListenerExecutionFailedException: Listener"
        " method 'public void com.example.billing.InvoiceListener.onInvoice(Invoice)'"
        " threw exception; nested exception is java.lang.IllegalStateException: the"
        " customer of this invoice was deleted before the invoice could be issued, and"
        " the retry policy gave up after ten attempts over five minutes"
    )
    long_cluster = letters(
        2, origin="kafka:payments-production-eu-west-1-primary-cluster", reason=long_reason
    )
    write(runtime, long_cluster)
    window.resize(1024, 700)
    window.show_view("dead_letters")
    view = window.dead_letters
    view.set_refresh_interval(200)
    qtbot.waitUntil(lambda: runtime.pipeline.stats.dead_letters_total >= 3, timeout=20_000)
    qtbot.waitUntil(lambda: view.proxy.rowCount() >= 11, timeout=10_000)
    assert view.show_letter(long_cluster[0].id)
    view.set_origin_filter(None)
    qtbot.wait(100)  # the layout settles (no condition to wait for: nothing changes)

    assert window.width() <= 1024 and window.height() <= 700
    area = window.docks["dead_letters"].widget()
    assert isinstance(area, QAbstractScrollArea)
    room = area.viewport().width()
    assert room <= 1024
    assert view.minimumSizeHint().width() <= room
    assert not area.horizontalScrollBar().isVisible()
    assert view.width() <= room

    controls: list[QWidget] = [
        *view.status_buttons.values(),
        view.origin_combo,
        view.replay_button,
        view.replay_group_button,
        view.edit_button,
        view.discard_button,
        view.discard_group_button,
        view.bus_target_button,
        view.kafka_target_button,
        view.rate_spin,
    ]
    for control in controls:
        assert control.isVisible(), control.objectName()
        assert control.width() >= control.sizeHint().width() or control is view.origin_combo
        assert right_edge_in(control, view) <= view.width(), control.objectName()
    assert view.search.isVisible() and view.search.width() >= SEARCH_MIN_WIDTH
    assert right_edge_in(view.search, view) <= view.width()  # its clear button too
    # The long cluster name: elided in the combo's list width, whole in the tooltip.
    long_name = "Kafka \u00b7 payments-production-eu-west-1-primary-cluster"
    assert view.origin_combo.width() < view.fontMetrics().horizontalAdvance(long_name)
    row = view.origin_combo.findData("kafka:payments-production-eu-west-1-primary-cluster")
    tip = view.origin_combo.itemData(row, Qt.ItemDataRole.ToolTipRole)
    assert "payments-production-eu-west-1-primary-cluster" in tip
    # The summary gives way but says it all in its tooltip.
    assert "waiting for a replay or a discard" in view.summary_label.toolTip()
    # The inspector's one-line values are elided, whole in their tooltips.
    origin_field = view.details.fields["Origin"]
    assert origin_field.text() == "Kafka \u00b7 payments-production-eu-west-1-primary-cluster"
    assert right_edge_in(origin_field, view) <= view.width()
    # A long reason takes a few lines, not the whole summary; rows are never squeezed
    # together in a short pane (the summary scrolls instead).
    reason = view.details.reason
    assert reason.height() <= reason.fontMetrics().lineSpacing() * 4 + 2
    assert reason.toolTip() == reason.text() == long_cluster[0].reason
    # Neither the reason's long class name nor the long cluster name runs under the tabs.
    tabs_left = view.details.tabs.mapTo(view, QPoint(0, 0)).x()
    assert right_edge_in(reason, view) <= tabs_left
    assert right_edge_in(origin_field, view) <= tabs_left
    assert isinstance(origin_field, ElidedLabel) and origin_field.is_elided()
    fields = list(view.details.fields.values())
    for above, below in itertools.pairwise(fields):
        wrapped = below.hasHeightForWidth()
        needed = below.heightForWidth(below.width()) if wrapped else below.sizeHint().height()
        assert below.height() >= needed
        assert below.y() >= above.y() + above.height()

    for folder in (SHOTS, ARTIFACTS):
        folder.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(SHOTS / "dead_letters_1024x700.png"))
    assert window.grab().save(str(ARTIFACTS / "dead_letters_1024x700.png"))


def test_origins_read_as_people_say_them_and_old_kafka_letters_are_still_from_kafka() -> None:
    [bus] = letters(1)
    [cluster] = letters(1, origin="kafka:prod-eu")
    # A Kafka letter from a log written before origins were stored reads back as "bus".
    [old] = letters(1)
    old.id = "kafka:orders.DLT:0:12"
    assert [letter_origin(d) for d in (bus, cluster, old)] == ["bus", "kafka:prod-eu", "kafka"]
    assert [origin_label(letter_origin(d)) for d in (bus, cluster, old)] == [
        "Embedded bus",
        "Kafka \u00b7 prod-eu",
        "Kafka",
    ]

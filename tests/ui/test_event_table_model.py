"""EventTableModel: bounded, newest first, batch inserts, malformed rows flagged."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from monitor.core.envelope import Envelope, format_time, parse_time
from monitor.ui import theme
from monitor.ui.event_table_model import (
    Column,
    EnvelopeRole,
    EventTableModel,
    format_local_moment,
    format_local_time,
)


def make_events(n: int, start: int = 0, **fields: Any) -> list[Envelope]:
    """``n`` events, oldest first (as the live buffer hands them), numbered from ``start``."""
    t0 = 1_700_000_000.0
    return [
        Envelope(
            type="OrderPlaced",
            source="test/storefront",
            topic="orders.placed",
            subject=f"ord-{i}",
            key=f"ord-{i}",
            time=t0 + i,
            correlation_id=f"{i:08d}-aaaa-bbbb-cccc-dddddddddddd",
            **{"format": "json", **fields},
        )
        for i in range(start, start + n)
    ]


def cell(model: EventTableModel, row: int, column: Column, role: int = Qt.DisplayRole) -> Any:
    return model.data(model.index(row, column), role)


def test_newest_first_across_batches() -> None:
    model = EventTableModel(capacity=10)
    model.append_batch(make_events(3))  # ord-0, ord-1, ord-2 (oldest first)
    assert [cell(model, r, Column.SUBJECT) for r in range(3)] == ["ord-2", "ord-1", "ord-0"]
    model.append_batch(make_events(2, start=3))
    assert [cell(model, r, Column.SUBJECT) for r in range(5)] == [
        "ord-4",
        "ord-3",
        "ord-2",
        "ord-1",
        "ord-0",
    ]


def test_stays_bounded_and_drops_the_oldest() -> None:
    model = EventTableModel(capacity=100)
    for batch in range(5):
        model.append_batch(make_events(60, start=batch * 60))
        assert model.rowCount() <= 100
    assert model.rowCount() == 100
    assert cell(model, 0, Column.SUBJECT) == "ord-299"  # the newest on top
    assert cell(model, 99, Column.SUBJECT) == "ord-200"  # the oldest kept at the bottom


def test_a_batch_larger_than_capacity_keeps_its_newest() -> None:
    model = EventTableModel(capacity=50)
    model.append_batch(make_events(10))
    inserted = model.append_batch(make_events(500, start=10))
    assert inserted == 50
    assert model.rowCount() == 50
    assert cell(model, 0, Column.SUBJECT) == "ord-509"
    assert cell(model, 49, Column.SUBJECT) == "ord-460"


def test_one_insert_per_batch_at_row_zero_and_trims_at_the_bottom() -> None:
    model = EventTableModel(capacity=100)
    inserted: list[tuple[int, int]] = []
    removed: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, first, last: inserted.append((first, last)))
    model.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))
    model.append_batch(make_events(80))
    model.append_batch(make_events(50, start=80))
    assert inserted == [(0, 79), (0, 49)]
    assert removed == [(50, 79)]  # the 30 oldest of the 80 rows, before the insert
    model.append_batch([])
    assert inserted == [(0, 79), (0, 49)]  # nothing to do, no signal


def test_columns_and_formatting() -> None:
    model = EventTableModel()
    (event,) = make_events(1)
    event.time = 1_700_000_000.25
    model.append_batch([event])
    headers = [model.headerData(c, Qt.Horizontal) for c in range(model.columnCount())]
    assert headers == [
        "Time", "Topic", "Type", "Format", "Source", "Correlation", "Key", "Subject",
    ]  # fmt: skip
    expected_clock = time.strftime("%H:%M:%S", time.localtime(1_700_000_000)) + ".250"
    assert cell(model, 0, Column.TIME) == expected_clock
    assert cell(model, 0, Column.TOPIC) == "orders.placed"
    assert cell(model, 0, Column.TYPE) == "OrderPlaced"
    assert cell(model, 0, Column.SOURCE) == "test/storefront"
    assert cell(model, 0, Column.CORRELATION) == "00000000"  # short in the cell...
    assert cell(model, 0, Column.CORRELATION, Qt.ToolTipRole) == event.correlation_id  # full
    assert cell(model, 0, Column.KEY) == "ord-0"
    assert cell(model, 0, Column.SUBJECT) == "ord-0"
    assert cell(model, 0, Column.TYPE, EnvelopeRole) is event
    assert cell(model, 0, Column.TYPE, Qt.ForegroundRole) is None  # default colour


def test_the_format_column_names_the_format_and_its_tooltip_the_schema() -> None:
    model = EventTableModel()
    avro = Envelope(
        type="com.acme.Order",
        source="kafka",
        format="avro",
        schema={"id": 42, "subject": "orders-value", "version": 3, "name": "com.acme.Order"},
    )
    waiting = Envelope(
        type="orders", source="kafka", format="undecoded", error="schema id 7: no registry"
    )
    model.append_batch([avro, waiting])  # newest first: waiting is row 0
    assert cell(model, 1, Column.FORMAT) == "avro"
    tip = cell(model, 1, Column.FORMAT, Qt.ToolTipRole)
    assert tip == "avro: orders-value v3, id 42, com.acme.Order"
    assert cell(model, 0, Column.FORMAT) == "undecoded"
    assert cell(model, 0, Column.FORMAT, Qt.ToolTipRole) == "Undecoded: schema id 7: no registry"


def test_missing_fields_render_empty() -> None:
    model = EventTableModel()
    model.append_batch([Envelope(type="T", source="s", time=None)])
    assert [cell(model, 0, c) for c in Column] == ["", "", "T", "", "s", "", "", ""]  # fmt: skip


def test_malformed_rows_are_flagged_with_the_error() -> None:
    model = EventTableModel()
    bad = Envelope(
        type="",
        source="kafka://orders",
        topic="orders.placed",
        malformed=True,
        error="invalid JSON at byte 12",
        raw=b"{not json",
    )
    model.append_batch([*make_events(1), bad])
    assert cell(model, 0, Column.TYPE) == "(malformed)"
    for column in Column:
        tooltip = cell(model, 0, column, Qt.ToolTipRole)
        assert "invalid JSON at byte 12" in tooltip
        brush = cell(model, 0, column, Qt.ForegroundRole)
        assert isinstance(brush, QBrush)
        assert brush.color() == QColor(theme.WARNING)
    assert cell(model, 1, Column.TYPE, Qt.ForegroundRole) is None


def test_clear() -> None:
    model = EventTableModel()
    model.append_batch(make_events(5))
    model.clear()
    assert model.rowCount() == 0


def test_invalid_indexes_and_children() -> None:
    model = EventTableModel()
    model.append_batch(make_events(2))
    assert model.data(QModelIndex()) is None
    assert model.rowCount(model.index(0, 0)) == 0  # a table: no children
    assert model.columnCount(model.index(0, 0)) == 0
    assert model.flags(QModelIndex()) == Qt.ItemFlag.NoItemFlags


def test_qt_model_tester(qtmodeltester: Any) -> None:
    model = EventTableModel(capacity=40)
    bad = Envelope(type="", source="x", malformed=True, error="truncated record")
    model.append_batch([*make_events(20), bad])
    # The Python tester stays connected and checks every change made after this too.
    qtmodeltester.check(model, force_py=True)
    model.append_batch(make_events(30, start=20))  # overflow: removes, then inserts
    model.append_batch(make_events(100, start=50))  # more than capacity in one batch
    model.clear()
    model.append_batch(make_events(3, start=200))
    assert model.rowCount() == 3


def test_the_time_column_agrees_with_the_rfc_3339_time_to_the_millisecond() -> None:
    # 36.639 as a float is 36.638999...: cutting it showed .638 beside the details' .639.
    ts = parse_time("2026-12-06T05:39:36.639Z")
    assert ts is not None and int((ts % 1) * 1000) == 638
    assert format_local_time(ts)[-4:] == ".639"
    for ts in (1796301700.8169994, 1796625536.0239995, 1796000000.5):
        assert format_local_time(ts)[-6:] == (format_time(ts) or "")[17:23]


def test_the_key_column_shows_a_binary_keys_control_bytes_escaped() -> None:
    model = EventTableModel(capacity=10)
    model.append_batch([Envelope(type="t", source="s", key="k\x1b[2Jx")])
    assert cell(model, 0, Column.KEY) == "k\\x1b[2Jx"


def test_a_moment_not_of_today_says_its_date() -> None:
    now = datetime(2026, 12, 6, 12, 0, 0).timestamp()  # local time
    earlier_today = datetime(2026, 12, 6, 9, 30, 0, 250_000).timestamp()
    days_ago = datetime(2026, 12, 3, 11, 51, 18, 252_000).timestamp()
    assert format_local_moment(earlier_today, now) == "09:30:00.250"
    assert format_local_moment(days_ago, now) == "2026-12-03 11:51:18.252"
    assert format_local_moment(None, now) == ""

"""The live event table: newest first, bounded, fed in batches by the live feed.

Scrolled down to read something, the rows in view stay still while new ones arrive on
top; paused, nothing is added (the events are still counted, logged and in the charts).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor.ui.context import AppContext
from monitor.ui.event_table_model import Column, EventTableModel

# Starting widths in pixels; the user can drag them and the last column takes the rest.
_COLUMN_WIDTHS = {
    Column.TIME: 110,
    Column.TOPIC: 150,
    Column.TYPE: 150,
    Column.SOURCE: 190,
    Column.CORRELATION: 100,
    Column.KEY: 160,
}


class LiveTableView(QWidget):
    def __init__(self, context: AppContext, *, capacity: int = 5000, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self.paused = False
        self.model = EventTableModel(capacity=capacity, parent=self)
        self.table = make_event_table(self.model)
        self.hint = QLabel(f"newest first, last {capacity:,} kept; scroll down to hold still")
        self.hint.setObjectName("sectionHint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 6)
        layout.addWidget(self.hint)
        layout.addWidget(self.table, 1)
        context.feed.events_arrived.connect(self.add_events)

    def add_events(self, events: list[Any], _missed: int = 0) -> None:
        if self.paused:
            return
        scrollbar = self.table.verticalScrollBar()
        position = scrollbar.value()
        inserted = self.model.append_batch(events)
        if position > 0:
            # The view grows its scroll range lazily; grow it now, or the value is clamped.
            self.table.updateGeometries()
            scrollbar.setValue(position + inserted)

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self.hint.setText("PAUSED: Ctrl+P resumes" if self.paused else "newest first")

    def focus_filter(self) -> None:
        self.table.setFocus()

    def restore_state(self, settings: Any) -> None:
        header = settings.value("stream/table_header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)

    def save_state(self, settings: Any) -> None:
        settings.setValue("stream/table_header", self.table.horizontalHeader().saveState())


def make_event_table(model: EventTableModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
    view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # ids differ at both ends
    vertical = view.verticalHeader()
    vertical.setVisible(False)
    # Fixed row heights: the view never measures thousands of rows.
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(view.fontMetrics().height() + 8)
    horizontal = view.horizontalHeader()
    horizontal.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    horizontal.setHighlightSections(False)
    horizontal.setStretchLastSection(True)
    for column, width in _COLUMN_WIDTHS.items():
        view.setColumnWidth(column, width)
    return view

"""When the live table holds new rows back: while the user is busy with the rows it shows.

Under a flood, rows arriving on top push the others down, and the table drops the oldest
at its capacity. Two things a user does then go wrong:

- a double-click: the row under the pointer changes between the two clicks, so nothing
  opens, or another row's chain does;
- reading further down: the rows scroll on, and at a few thousand events a second they
  leave the table within a second.

So new rows wait while a click may still become a double-click, and while the table is
scrolled away from its top. They are added when the hold ends: the double-click time
has passed, or the user is back at the top.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QTableView


class LiveHold(QObject):
    released = Signal()  # the hold ended: add what waited

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self._table = table
        self._timer = QTimer(self)  # runs while a click may become a double-click
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._maybe_release)
        table.viewport().installEventFilter(self)
        table.verticalScrollBar().valueChanged.connect(self._scrolled)

    @property
    def scrolled_away(self) -> bool:
        return self._table.verticalScrollBar().value() > 0

    @property
    def holding(self) -> bool:
        return self.scrolled_away or self._timer.isActive()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.MouseButtonPress:
            # A little longer than the double-click time, for the second click's delivery.
            self._timer.start(QApplication.doubleClickInterval() + 100)
        return False

    def _scrolled(self, value: int) -> None:
        if value == 0:
            self._maybe_release()

    def _maybe_release(self) -> None:
        if not self.holding:
            self.released.emit()

"""A type's flow as a small graph: its producers, then its topics, then its consumers,
each a box with an arrow to the next column. Names are elided to their box, all of them
in the tooltip; a column with more names than room ends with "+ N more"."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from monitor.ui import theme

BOX_H = 22
GAP = 6
MAX_ROWS = 4
TITLES = ("Producers", "Topics", "Consumers")


class FlowDiagram(QWidget):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.columns: tuple[list[str], list[str], list[str]] = ([], [], [])
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(20 + BOX_H + GAP)  # as tall as its longest column, once set

    def set_flow(self, producers: list[str], topics: list[str], consumers: list[str]) -> None:
        self.columns = (producers, topics, consumers)
        rows = max(len(self.shown(c)) for c in self.columns)
        self.setFixedHeight(20 + rows * (BOX_H + GAP))
        self.setToolTip(
            "\n".join(
                f"{t}: {', '.join(c) or 'none seen'}"
                for t, c in zip(TITLES, self.columns, strict=True)
            )
        )
        self.update()

    def shown(self, names: list[str]) -> list[str]:
        """The names a column shows: the first few, then "+ N more"."""
        if not names:
            return ["none seen"]
        if len(names) <= MAX_ROWS:
            return list(names)
        return [*names[: MAX_ROWS - 1], f"+ {len(names) - MAX_ROWS + 1} more"]

    def sizeHint(self) -> QSize:
        return QSize(360, 20 + MAX_ROWS * (BOX_H + GAP))

    def minimumSizeHint(self) -> QSize:
        return QSize(240, self.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        arrow_w = 26
        col_w = (self.width() - 2 * arrow_w) / 3
        text, muted, accent = QColor(theme.TEXT), QColor(theme.MUTED_TEXT), QColor(theme.ACCENT)
        centres: list[float] = []
        for c, (title, names) in enumerate(zip(TITLES, self.columns, strict=True)):
            x = c * (col_w + arrow_w)
            painter.setPen(muted)
            painter.drawText(QRectF(x, 0, col_w, 16), Qt.AlignmentFlag.AlignLeft, title)
            rows = self.shown(names)
            for r, name in enumerate(rows):
                box = QRectF(x + 0.5, 18 + r * (BOX_H + GAP) + 0.5, col_w - 1, BOX_H)
                painter.setPen(QPen(accent if names else muted, 1))
                painter.drawRoundedRect(box, 4, 4)
                painter.setPen(text if names else muted)
                label = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, int(col_w) - 10)
                painter.drawText(box.adjusted(5, 0, -5, 0), Qt.AlignmentFlag.AlignVCenter, label)
            centres.append(18 + (len(rows) * (BOX_H + GAP) - GAP) / 2)
        painter.setPen(QPen(accent, 1.5))
        painter.setBrush(accent)
        for c in range(2):
            x0 = (c + 1) * col_w + c * arrow_w + 3
            x1 = x0 + arrow_w - 6
            y = min(centres[c], centres[c + 1])
            painter.drawLine(QPointF(x0, y), QPointF(x1 - 5, y))
            head = QPolygonF([QPointF(x1, y), QPointF(x1 - 6, y - 4), QPointF(x1 - 6, y + 4)])
            painter.drawPolygon(head)
        painter.end()

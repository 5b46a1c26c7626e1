"""A small filled circle in a colour: the icon that marks a row's or a step's state (a
dead letter's status, a connection check passed or failed). One per colour, made once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

_icons: dict[str, QIcon] = {}


def dot_icon(colour: str) -> QIcon:
    icon = _icons.get(colour)
    if icon is None:
        pixmap = QPixmap(12, 12)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawEllipse(2, 2, 8, 8)
        painter.end()
        icon = _icons[colour] = QIcon(pixmap)
    return icon


__all__ = ["dot_icon"]

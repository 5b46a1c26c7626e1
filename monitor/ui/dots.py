"""A small circle in a colour: the mark of a row's or a step's state (a dead letter's
status, a connection check passed or failed, a tailed topic, the connected profile). One
per colour, size and fill, made once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

_DOT = 8  # the circle's diameter, centred in a square of the size asked for
_pixmaps: dict[tuple[str, int, bool], QPixmap] = {}
_icons: dict[tuple[str, int, bool], QIcon] = {}


def dot_pixmap(colour: str | None, size: int, *, hollow: bool = False) -> QPixmap:
    """The circle on a transparent ``size`` square; no colour: the square alone (a blank
    of the same size, so names beside dots and beside none line up)."""
    key = (colour or "", size, hollow)
    pixmap = _pixmaps.get(key)
    if pixmap is None:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        if colour:
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            if hollow:
                painter.setPen(QColor(colour))
                painter.setBrush(Qt.BrushStyle.NoBrush)
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(colour))
            offset = (size - _DOT) // 2
            painter.drawEllipse(offset, offset, _DOT, _DOT)
            painter.end()
        _pixmaps[key] = pixmap
    return pixmap


def dot_icon(colour: str, size: int = 12, *, hollow: bool = False) -> QIcon:
    key = (colour, size, hollow)
    icon = _icons.get(key)
    if icon is None:
        icon = _icons[key] = QIcon(dot_pixmap(colour, size, hollow=hollow))
    return icon


__all__ = ["dot_icon", "dot_pixmap"]

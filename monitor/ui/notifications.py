"""Desktop notifications behind a facade: the rest of the window says ``notify`` and
``set_count``, and never touches the system tray itself.

:class:`TrayNotifier` shows an alert as a tray message and the number of alerts not yet
acknowledged as a badge on the tray icon. Where the desktop has no tray (a bare X server,
the offscreen platform of the tests) the icon is never shown; the message still goes to
``QSystemTrayIcon.showMessage`` (Qt drops it) and is recorded in :attr:`shown`, so a
caller, and a test, knows what the user was told. A click on the message emits
:attr:`activated`, which the window turns into "show the Alerts view".
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QSystemTrayIcon

from monitor.ui import theme

ICON_SIZE = 64
MESSAGE_MS = 8000


class TrayNotifier(QObject):
    activated = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.count = 0
        self.shown: list[tuple[str, str]] = []  # (title, message), oldest first
        self.tray = QSystemTrayIcon(self)
        self.tray.setIcon(badge_icon(0))
        self.tray.setToolTip("Eventflow Monitor")
        self.tray.messageClicked.connect(self.activated)
        self.tray.activated.connect(lambda _reason: self.activated.emit())
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray.show()

    def notify(self, title: str, message: str) -> None:
        """Tell the user, once, with the desktop's own notification."""
        self.shown.append((title, message))
        del self.shown[:-50]  # bounded: only the latest are worth keeping
        self.tray.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, MESSAGE_MS)

    def set_count(self, count: int) -> None:
        """The number of alerts waiting for the user, drawn on the icon."""
        if count == self.count:
            return
        self.count = count
        self.tray.setIcon(badge_icon(count))
        self.tray.setToolTip(
            f"Eventflow Monitor: {count} alert{'' if count == 1 else 's'} to look at"
            if count
            else "Eventflow Monitor"
        )

    def close(self) -> None:
        self.tray.hide()


def badge_icon(count: int) -> QIcon:
    """The app's dot, with ``count`` in a red badge when there is something to see."""
    pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(theme.ACCENT))
    painter.drawEllipse(4, 4, ICON_SIZE - 8, ICON_SIZE - 8)
    if count:
        painter.setBrush(QColor(theme.FAILURE_SERIES_COLOUR))
        badge = QRect(ICON_SIZE // 2 - 4, 0, ICON_SIZE // 2 + 4, ICON_SIZE // 2 + 4)
        painter.drawEllipse(badge)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(ICON_SIZE // 3)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        text = str(count) if count < 100 else "99+"
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)

"""A big number with a caption, for the header strip of the main window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout


class StatCard(QFrame):
    """Caption above, value below; ``alert=True`` turns it red (styled in the theme).

    A card made :meth:`clickable` emits :attr:`clicked` on a left click, or on Enter or
    Space while it has the keyboard focus (it takes focus with Tab then).
    """

    clicked = Signal()

    def __init__(self, caption: str, tooltip: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        self.setToolTip(tooltip)
        self._caption = QLabel(caption.upper())
        self._caption.setObjectName("statCaption")
        self._value = QLabel("0")
        self._value.setObjectName("statValue")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(0)
        self._note = QLabel("")
        self._note.setObjectName("statCaption")
        layout.addWidget(self._caption)
        layout.addWidget(self._value)
        layout.addWidget(self._note)
        self._note.hide()
        self._alert = False

    def clickable(self, tooltip: str) -> None:
        """Make the card a button: a hand cursor, focus by Tab, ``tooltip`` says where it
        leads."""
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(tooltip)
        self.setProperty("clickable", True)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if (
            self.property("clickable")
            and event.button() == Qt.MouseButton.LeftButton
            and self.rect().contains(event.position().toPoint())
        ):
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        keys = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space)
        if self.property("clickable") and event.key() in keys:
            self.clicked.emit()
            return
        super().keyPressEvent(event)

    def set_note(self, text: str) -> None:
        """A small line under the value (a trend, a hint); empty hides it."""
        if text != self._note.text():
            self._note.setText(text)
            self._note.setVisible(bool(text))

    def note_text(self) -> str:
        return self._note.text()

    def value_text(self) -> str:
        return self._value.text()

    def is_alert(self) -> bool:
        return self._alert

    def set_value(self, text: str, *, alert: bool = False) -> None:
        if text != self._value.text():
            self._value.setText(text)
        if alert != self._alert:
            self._alert = alert
            # A dynamic property only restyles after an explicit re-polish.
            for widget in (self, self._value):
                widget.setProperty("alert", alert)
                widget.style().unpolish(widget)
                widget.style().polish(widget)

"""A one-line label for user data: shortened with an ellipsis to the room it gets, the
whole text in its tooltip, and never the reason a window is wider than the screen."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

MIN_CHARS = 6  # the narrowest it gets: a few characters and the ellipsis


class ElidedLabel(QLabel):
    """A :class:`QLabel` that elides its (plain, one-line) text instead of growing.

    :meth:`text` is always the whole text. The tooltip is the whole text while it is
    shortened, followed by :attr:`detail` (a tooltip of its own, set with
    :meth:`set_detail`) when there is one. Right-click offers "Copy" of the whole text.
    """

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        *,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    ) -> None:
        super().__init__(parent)
        self._mode = mode
        self.detail = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        copy = QAction("Copy", self)
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(self.text()))
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tooltip()

    def full_text(self) -> str:
        """The whole text (the same as :meth:`text`; what is painted may be shorter)."""
        return self.text()

    def set_detail(self, detail: str) -> None:
        """A tooltip of the label's own, shown whether or not the text is shortened."""
        self.detail = detail
        self._update_tooltip()

    def shown_text(self) -> str:
        """What is painted: the text, shortened to the label's width."""
        width = self.contentsRect().width()
        return self.fontMetrics().elidedText(self.text(), self._mode, max(0, width))

    def is_elided(self) -> bool:
        return self.shown_text() != self.text()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        margins = self.contentsMargins()
        narrow = self.fontMetrics().horizontalAdvance("x" * MIN_CHARS + "\u2026")
        full = self.fontMetrics().horizontalAdvance(self.text())
        width = min(narrow, full) + margins.left() + margins.right()
        return QSize(width, hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )
        painter.end()

    def _update_tooltip(self) -> None:
        parts = [self.text()] if self.is_elided() else []
        if self.detail:
            parts.append(self.detail)
        self.setToolTip("\n".join(parts))


__all__ = ["ElidedLabel"]

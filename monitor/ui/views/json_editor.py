"""A JSON text editor: syntax colours, line numbers, and validation as you type.

:class:`JsonEditor` checks its text on every change (debounced for large documents) and
emits :attr:`JsonEditor.validity_changed` with a one-line message. An invalid document
gets a red dot in the line-number gutter and a tinted line where the parser stopped, so
the mistake is found without reading the message. An empty editor is valid: an event with
no data.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QEvent, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from monitor.core.strict_json import loads_strict
from monitor.core.wording import count
from monitor.ui import theme
from monitor.ui.json_highlight import JsonHighlighter

_DEBOUNCE_ABOVE = 100_000  # characters: larger documents are checked after a pause
_INDENT = "  "


class _Gutter(QWidget):
    def __init__(self, editor: JsonEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_gutter(self, event)


class JsonEditor(QPlainTextEdit):
    """Edits one JSON document. ``validity_changed(valid, message)`` follows the text."""

    validity_changed = Signal(bool, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jsonEditor")
        self.setFont(theme.monospace_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self.setPlaceholderText('{\n  "orderId": "ord-1001"\n}')
        self.highlighter = JsonHighlighter(self.document())
        self.valid = True
        self.message = "No payload: the event carries no data."
        self.error_line: int | None = None  # 1-based
        self._gutter = _Gutter(self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.validate)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self.textChanged.connect(self._text_changed)
        self._update_gutter_width()

    # -- content ------------------------------------------------------------------------

    def value(self) -> Any:
        """The document as Python data (``None`` when empty). Raises ``ValueError`` when
        the text is not valid JSON."""
        text = self.toPlainText()
        if not text.strip():
            return None
        return loads_strict(text)

    def set_value(self, value: Any) -> None:
        """Show ``value`` pretty-printed (``None`` clears the editor)."""
        text = "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)
        self.setPlainText(text)
        self.validate()

    def format_document(self) -> bool:
        """Re-indent the document; does nothing (and returns False) when it is invalid."""
        try:
            value = self.value()
        except ValueError:
            return False
        if value is not None:
            self.set_value(value)
        return True

    # -- validation ---------------------------------------------------------------------

    def _text_changed(self) -> None:
        if self.document().characterCount() > _DEBOUNCE_ABOVE:
            self._debounce.start()
        else:
            self.validate()

    def validate(self) -> bool:
        """Check the text now; updates :attr:`valid`, :attr:`message` and the marker."""
        self._debounce.stop()
        text = self.toPlainText()
        error_line = None
        if not text.strip():
            valid, message = True, "No payload: the event carries no data."
        else:
            try:
                value = loads_strict(text)
            except json.JSONDecodeError as exc:
                valid = False
                message = f"Line {exc.lineno}, column {exc.colno}: {exc.msg}."
                error_line = exc.lineno
            else:
                valid, message = True, f"Valid JSON ({_describe(value)})."
        changed = (valid, message) != (self.valid, self.message)
        self.valid, self.message, self.error_line = valid, message, error_line
        self._mark_error_line()
        self._gutter.update()
        if changed:
            self.validity_changed.emit(valid, message)
        return valid

    def _mark_error_line(self) -> None:
        selections = []
        if self.error_line is not None:
            block = self.document().findBlockByNumber(self.error_line - 1)
            if block.isValid():
                selection = QTextEdit.ExtraSelection()
                selection.format.setBackground(QColor(theme.json_colours()["error_line"]))
                selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
                cursor = QTextCursor(block)
                selection.cursor = cursor
                selections.append(selection)
        self.setExtraSelections(selections)

    # -- typing -------------------------------------------------------------------------

    def keyPressEvent(self, e: QKeyEvent) -> None:
        # Two spaces for a tab (JSON is indented with spaces), and keep the indentation of
        # the line above on Enter.
        if e.key() == Qt.Key.Key_Tab and not e.modifiers():
            self.insertPlainText(_INDENT)
            return
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not e.modifiers():
            line = self.textCursor().block().text()
            indent = line[: len(line) - len(line.lstrip(" "))]
            if line.rstrip().endswith(("{", "[")):
                indent += _INDENT
            self.insertPlainText("\n" + indent)
            return
        super().keyPressEvent(e)

    # -- the gutter ---------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the app switched themes
            self.highlighter.use_theme_colours()

    def gutter_width(self) -> int:
        digits = max(2, len(str(self.blockCount())))
        return 14 + self.fontMetrics().horizontalAdvance("9") * digits + 8

    def _update_gutter_width(self, *_: object) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def paint_gutter(self, gutter: QWidget, event: QPaintEvent) -> None:
        painter = QPainter(gutter)
        painter.fillRect(event.rect(), QColor(theme.WINDOW_BG))
        painter.setPen(QColor(theme.BORDER))
        painter.drawLine(
            gutter.width() - 1, event.rect().top(), gutter.width() - 1, event.rect().bottom()
        )
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            bottom = top + round(self.blockBoundingRect(block).height())
            if block.isVisible() and bottom >= event.rect().top():
                is_error = self.error_line == number + 1
                if is_error:
                    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(QColor(theme.DANGER))
                    d = min(8, height - 4)
                    painter.drawEllipse(4, top + (height - d) // 2, d, d)
                painter.setPen(QColor(theme.DANGER if is_error else theme.MUTED_TEXT))
                painter.drawText(
                    0,
                    top,
                    gutter.width() - 6,
                    height,
                    int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                    str(number + 1),
                )
            block = block.next()
            top = bottom
            number += 1
        painter.end()


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return f"an object with {count(len(value), 'field')}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "a number" if isinstance(value, int | float) else "a string"

"""The event tables' view: a QTableView that paints its visible rows itself.

Why: QTableView paints every cell through the style (with the app's stylesheet, that is
QStyleSheetStyle, which looks up its rules per cell) and lays each text out afresh with a
QTextLayout. Measured offscreen, a screenful of the stream (26 rows x 7 columns) cost
15-18 ms of the event-loop thread, and under a flood every frame shows new rows, so 20
repaints a second took a third of the thread that also takes the events in. This view
draws the same picture (alternate row colours, the selected rows, malformed rows in the
warning colour, fixed-pitch time and id columns, middle elision) in one Python call per
frame, from pre-shaped :class:`QStaticText` that the many repeated strings (topics, types,
sources, keys) reuse: 3-6 ms for the same screenful.

Only the painting is replaced. Selection, keyboard, scrolling, tooltips, the header and
its column moves, resizes and hiding are QTableView's own, and the model still answers
``data()`` for all of them. The tables select whole rows, so a selection is drawn per
row: a single cell selected from code (``select`` without ``Rows``) is not highlighted.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QPointF, QRect, Qt
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QPainter,
    QPaintEvent,
    QPalette,
    QStaticText,
    QTextOption,
)
from PySide6.QtWidgets import QStyle, QTableView, QWidget

from monitor.ui import theme
from monitor.ui.event_table_model import MONOSPACE_COLUMNS, EventTableModel, cell_text

# Shaped texts kept for reuse. A screenful has ~180 cells and a frame's new texts are
# mostly times and ids, so this holds many frames' worth; past it, the cache starts over.
_CACHE_LIMIT = 4096
_RESHAPING_CHANGES = frozenset(
    {QEvent.Type.FontChange, QEvent.Type.StyleChange, QEvent.Type.LayoutDirectionChange}
)
_LINE_BREAKS = ("\n", "\r", "\u2028")


class EventTableView(QTableView):
    """A table of an :class:`EventTableModel`, painted row by row (see the module doc)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._texts: dict[tuple[str, bool, int], QStaticText] = {}
        self._mono: QFont | None = None
        # The stylesheet paints the viewport's background, which makes Qt count it as
        # see-through and paint every widget under it first (the main window, the dock,
        # the stream view and its containers) for each frame of the table. This view
        # fills its own background instead, so nothing under it is painted.
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        if model is not None and not isinstance(model, EventTableModel):
            raise TypeError("EventTableView shows an EventTableModel")
        super().setModel(model)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _RESHAPING_CHANGES:  # every text's shape and width change
            self._texts.clear()
            self._mono = None
        super().changeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        area = event.rect()
        model = self.model()
        colours = _RowColours(self)
        painter = QPainter(self.viewport())
        try:
            painter.fillRect(area, colours.base)  # the viewport is opaque: every pixel
            if isinstance(model, EventTableModel):
                self._paint_rows(painter, model, area, colours)
        finally:
            painter.end()

    def _paint_rows(
        self, painter: QPainter, model: EventTableModel, area: QRect, colours: _RowColours
    ) -> None:
        rows_header = self.verticalHeader()
        first = rows_header.logicalIndexAt(area.top())
        if first < 0:  # no rows, or the update is below the last one
            return
        last = rows_header.logicalIndexAt(area.bottom())
        if last < 0:
            last = model.rowCount() - 1
        columns = self._columns_in(area.left(), area.right())
        warning = model.warning_brush.color()  # the current theme's
        fonts = (self._font(False), self._font(True))  # by `mono`: looked up once a frame
        selection = self.selectionModel()
        any_selected = selection is not None and selection.hasSelection()
        alternating = self.alternatingRowColors()
        width = self.viewport().width()
        root = QModelIndex()
        right_to_left = self.isRightToLeft()
        for row in range(first, last + 1):
            top = rows_header.sectionViewportPosition(row)
            height = rows_header.sectionSize(row)
            envelope = model.envelope(row)
            if any_selected and selection.isRowSelected(row, root):
                painter.fillRect(0, top, width, height, colours.highlight)
                painter.setPen(colours.selected_text)
            else:
                if alternating and row % 2:
                    painter.fillRect(0, top, width, height, colours.alternate)
                painter.setPen(warning if envelope.malformed else colours.text)
            for column, left, room in columns:
                mono = column in MONOSPACE_COLUMNS
                shaped = self._shaped(cell_text(envelope, column), mono, room)
                if shaped is not None:
                    painter.setFont(fonts[mono])
                    size = shaped.size()
                    x = left + room - size.width() if right_to_left else left
                    # Whole pixels, as Qt's own item painting places text.
                    y = int(top + (height - size.height()) / 2)
                    painter.drawStaticText(QPointF(x, y), shaped)

    def _columns_in(self, left: int, right: int) -> list[tuple[int, int, int]]:
        """(column, x of its text, room for its text) for the columns from ``left`` to
        ``right`` in the viewport, in the order the header shows them."""
        header = self.horizontalHeader()
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        columns = []
        for visual in range(header.count()):
            column = header.logicalIndex(visual)
            x, size = header.sectionViewportPosition(column), header.sectionSize(column)
            if header.isSectionHidden(column) or size <= 0 or x + size <= left or x > right:
                continue
            columns.append((column, x + margin, size - 2 * margin))
        return columns

    def _font(self, mono: bool) -> QFont:
        if not mono:
            return self.font()
        if self._mono is None:
            self._mono = theme.monospace_font()
        return self._mono

    def _shaped(self, text: str, mono: bool, room: int) -> QStaticText | None:
        """``text`` laid out, middle-elided (the view's elide mode) to ``room`` pixels.

        A text of several lines shows its first and an ellipsis, as Qt's item views do,
        rather than the lines run together into what would look like one value."""
        if not text or room <= 0:
            return None
        texts = self._texts
        shaped = texts.get((text, mono, 0))
        if shaped is None:
            if len(texts) >= _CACHE_LIMIT:
                texts.clear()
            shown = text
            if any(mark in text for mark in _LINE_BREAKS):
                shown = text.splitlines()[0] + "\u2026"
            shaped = texts[(text, mono, 0)] = self._static(shown, mono)
        if shaped.size().width() <= room:
            return shaped
        elided = texts.get((text, mono, room))
        if elided is None:
            short = QFontMetrics(self._font(mono)).elidedText(
                shaped.text(), self.textElideMode(), room
            )
            elided = texts[(text, mono, room)] = self._static(short, mono)
        return elided

    def _static(self, text: str, mono: bool) -> QStaticText:
        shaped = QStaticText(text)
        shaped.setTextFormat(Qt.TextFormat.PlainText)
        # The view's direction, not the one the text's first letter suggests: a topic
        # that starts with a Hebrew word reads as Qt's own item painting shows it.
        option = QTextOption()
        option.setTextDirection(self.layoutDirection())
        shaped.setTextOption(option)
        shaped.prepare(font=self._font(mono))
        return shaped


class _RowColours:
    """The brushes and pens of one paint, from the palette's group for the view's state
    (the stylesheet's table colours arrive through the palette)."""

    def __init__(self, view: QTableView) -> None:
        palette = view.palette()
        if not view.isEnabled():
            group = QPalette.ColorGroup.Disabled
        elif view.isActiveWindow():
            group = QPalette.ColorGroup.Active
        else:
            group = QPalette.ColorGroup.Inactive
        self.base = palette.brush(group, QPalette.ColorRole.Base)
        self.alternate = palette.brush(group, QPalette.ColorRole.AlternateBase)
        self.highlight = palette.brush(group, QPalette.ColorRole.Highlight)
        self.text = palette.color(group, QPalette.ColorRole.Text)
        self.selected_text = palette.color(group, QPalette.ColorRole.HighlightedText)

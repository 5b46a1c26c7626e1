"""EventTableView: paints what the model holds, as a QTableView of it would look.

The view replaces only QTableView's painting, so these tests look at the pixels and the
texts it drew: rows in the right colours (alternate, selected, malformed), every visible
cell's text as the model gives it, long texts elided to their column.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QItemSelectionModel, QStringListModel
from PySide6.QtGui import QColor, QImage

from monitor.core.envelope import Envelope
from monitor.ui import theme
from monitor.ui.event_table_model import Column, EventTableModel
from monitor.ui.event_table_view import EventTableView
from monitor.ui.views.event_stream_style import make_table
from tests.ui.test_event_table_model import make_events


@pytest.fixture
def table(qtbot: Any, qloop: Any) -> Iterator[EventTableView]:
    """The stream's table (``qloop`` applies the app's theme), 40 rows, shown."""
    model = EventTableModel(capacity=100)
    model.append_batch(make_events(40))
    view = make_table(model, "testTable")
    qtbot.addWidget(view)
    view.resize(992, 400)  # 900 + the Format column
    view.show()
    qtbot.waitExposed(view)
    yield view


def viewport_image(view: EventTableView) -> QImage:
    return view.viewport().grab().toImage()


def row_band(view: EventTableView, row: int) -> tuple[int, int]:
    top = view.rowViewportPosition(row)
    return top, top + view.rowHeight(row)


def background_at_right(image: QImage, view: EventTableView, row: int) -> str:
    """The colour at the row's right end: the stretched last column has no text there."""
    top, bottom = row_band(view, row)
    return image.pixelColor(image.width() - 4, (top + bottom) // 2).name()


def colours_in_row(image: QImage, view: EventTableView, row: int) -> set[str]:
    top, bottom = row_band(view, row)
    return {image.pixelColor(x, y).name() for y in range(top, bottom) for x in range(image.width())}


def test_rows_alternate_and_the_selected_rows_are_highlighted(table: EventTableView) -> None:
    table.selectionModel().select(
        table.model().index(3, 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    image = viewport_image(table)
    assert background_at_right(image, table, 0) == QColor(theme.SURFACE).name()
    assert background_at_right(image, table, 1) == QColor(theme.ALT_ROW).name()
    assert background_at_right(image, table, 3) == QColor(theme.SELECTION).name()
    assert background_at_right(image, table, 4) == QColor(theme.SURFACE).name()


def visible_texts_painted(table: EventTableView) -> None:
    table._texts.clear()
    viewport_image(table)  # paints
    painted = {shaped.text() for shaped in table._texts.values()}
    model = table.model()
    first = table.rowAt(0)
    last = table.rowAt(table.viewport().height() - 1)
    assert last - first > 5
    for row in range(first, last + 1):
        for column in Column:
            text = model.data(model.index(row, column))
            assert text and text in painted, (row, column.name, text)


def test_every_visible_cell_is_painted_with_the_models_text(table: EventTableView) -> None:
    visible_texts_painted(table)
    table.verticalScrollBar().setValue(20)  # scrolled: rows 20 and on
    assert table.rowAt(0) == 20
    visible_texts_painted(table)
    assert "ord-39" not in {shaped.text() for shaped in table._texts.values()}  # row 0's


def test_a_malformed_row_is_painted_in_the_warning_colour(table: EventTableView) -> None:
    model = table.model()
    assert isinstance(model, EventTableModel)
    model.append_batch(
        [Envelope(type=None, source=None, malformed=True, error="not JSON", topic="orders")]
    )
    image = viewport_image(table)
    warning = QColor(theme.WARNING).name()
    assert warning in colours_in_row(image, table, 0)  # the malformed one, newest on top
    assert warning not in colours_in_row(image, table, 1)


def test_a_text_wider_than_its_column_is_elided_in_the_middle(table: EventTableView) -> None:
    model = table.model()
    assert isinstance(model, EventTableModel)
    long_key = "customer-" + "x" * 60 + "-end"
    model.append_batch(
        [Envelope(type="OrderPlaced", source="s", topic="orders.placed", key=long_key)]
    )
    table.setColumnWidth(Column.KEY, 120)
    viewport_image(table)
    elided = [shaped for shaped in table._texts.values() if "\u2026" in shaped.text()]
    assert len(elided) == 1, "the long key was not elided"
    text = elided[0].text()
    assert text.startswith("cust") and text.endswith("-end")  # the middle went
    assert elided[0].size().width() <= 120


def test_a_text_of_several_lines_shows_its_first_line_and_an_ellipsis(
    table: EventTableView,
) -> None:
    model = table.model()
    assert isinstance(model, EventTableModel)
    model.append_batch(
        [Envelope(type="OrderPlaced", source="s", topic="orders", key="line1\nline2")]
    )
    viewport_image(table)
    painted = {shaped.text() for shaped in table._texts.values()}
    assert "line1\u2026" in painted
    assert not any("line2" in text for text in painted)


def test_malformed_rows_take_the_warning_colour_of_the_theme_switched_to(
    table: EventTableView, qapp: Any
) -> None:
    model = table.model()
    assert isinstance(model, EventTableModel)
    model.append_batch([Envelope(type=None, source="s", malformed=True, error="not JSON")])
    try:
        theme.apply_theme(qapp, "dark")
        image = viewport_image(table)
        assert QColor(theme.WARNING).name() in colours_in_row(image, table, 0)
        assert model.warning_brush.color().name() == QColor(theme.WARNING).name()
    finally:
        theme.apply_theme(qapp, "light")


def test_hidden_and_moved_columns_are_painted_where_the_header_puts_them(
    table: EventTableView,
) -> None:
    header = table.horizontalHeader()
    header.hideSection(Column.SOURCE)
    header.moveSection(header.visualIndex(Column.KEY), 0)
    columns = table._columns_in(0, table.viewport().width())
    assert [c for c, _x, _room in columns][:2] == [Column.KEY, Column.TIME]
    assert Column.SOURCE not in [c for c, _x, _room in columns]
    key_x = next(x for c, x, _room in columns if c == Column.KEY)
    assert key_x < header.sectionViewportPosition(Column.TIME)


def test_a_font_change_reshapes_the_texts(table: EventTableView) -> None:
    viewport_image(table)
    assert table._texts
    font = table.font()
    font.setPointSizeF(font.pointSizeF() + 4)
    table.setFont(font)  # sends FontChange
    assert not table._texts
    viewport_image(table)
    assert table._texts


def test_an_empty_table_paints_only_its_background(qtbot: Any, qloop: Any) -> None:
    view = make_table(EventTableModel(), "empty")
    qtbot.addWidget(view)
    view.resize(400, 200)
    view.show()
    image = viewport_image(view)
    colours = {
        image.pixelColor(x, y).name()
        for y in range(0, image.height(), 3)
        for x in range(0, image.width(), 3)
    }
    assert colours == {QColor(theme.SURFACE).name()}
    assert not view._texts


def test_only_an_event_table_model_can_be_shown(qtbot: Any) -> None:
    view = EventTableView()
    qtbot.addWidget(view)
    with pytest.raises(TypeError):
        view.setModel(QStringListModel(["a"]))


def test_a_style_change_clears_the_shaped_texts(table: EventTableView) -> None:
    viewport_image(table)
    assert table._texts
    table.changeEvent(QEvent(QEvent.Type.StyleChange))
    assert not table._texts

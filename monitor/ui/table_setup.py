"""The one way the window sets up a table, so every table reads and behaves alike.

Rows are selected whole; cells are read-only, one line, no grid; long text is elided (in
the middle where values differ at both ends, such as ids and topic names); rows have a
fixed height a line of text fits; the header is left-aligned and does not light up with
the selection. A view asks for what differs (sorting, several rows selected, no selection,
editable cells, the last column stretched) and sets its own column widths.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

SelectionMode = QAbstractItemView.SelectionMode
EditTrigger = QAbstractItemView.EditTrigger


def set_up_table(
    view: QTableView,
    *,
    sorting: bool = False,
    selection: SelectionMode = SelectionMode.SingleSelection,
    edit_triggers: EditTrigger = EditTrigger.NoEditTriggers,
    elide: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    stretch_last: bool = True,
    alternating: bool = True,
    row_padding: int = 8,
) -> QTableView:
    """Give ``view`` the window's table behaviour (see the module docstring); returns it."""
    view.setAlternatingRowColors(alternating)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setTextElideMode(elide)
    view.setSortingEnabled(sorting)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(selection)
    view.setEditTriggers(edit_triggers)
    vertical = view.verticalHeader()
    vertical.setVisible(False)
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(view.fontMetrics().height() + row_padding)
    horizontal = view.horizontalHeader()
    horizontal.setHighlightSections(False)
    horizontal.setStretchLastSection(stretch_last)
    horizontal.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return view

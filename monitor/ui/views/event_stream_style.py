"""How the event stream looks: its stylesheet (built from :mod:`monitor.ui.theme`) and the
few widget helpers its two tables and status lines share."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTabWidget

from monitor.ui import theme
from monitor.ui.event_table_model import Column, EventTableModel
from monitor.ui.event_table_view import EventTableView
from monitor.ui.table_setup import set_up_table

_COLUMN_WIDTHS = {
    Column.TIME: 100,
    Column.TOPIC: 150,
    Column.TYPE: 145,
    Column.SOURCE: 155,
    Column.CORRELATION: 95,
    Column.KEY: 130,
    Column.FORMAT: 92,  # "json-schema" whole
}


def stylesheet() -> str:
    """The view's own rules, in the current theme's colours."""
    return f"""
QFrame#filterBar {{
    background: {theme.SURFACE};
    border: 1px solid {theme.BORDER};
    border-radius: 6px;
}}
QLabel#filterCaption {{ color: {theme.MUTED_TEXT}; font-size: 8.5pt; font-weight: 600; }}
QFrame#filterBar QLineEdit {{
    border: 1px solid {theme.BORDER};
    border-radius: 4px;
    padding: 3px 6px;
    background: {theme.SURFACE};
}}
QFrame#filterBar QLineEdit:focus {{ border: 1px solid {theme.ACCENT}; }}
QPushButton {{
    border: 1px solid {theme.BORDER};
    border-radius: 4px;
    padding: 4px 12px;
    background: {theme.SURFACE};
}}
QPushButton:hover, QToolButton:hover {{ border-color: {theme.ACCENT}; }}
QPushButton:disabled {{ color: {theme.MUTED_TEXT}; }}
QPushButton#primaryButton {{
    background: {theme.ACCENT};
    border-color: {theme.ACCENT};
    color: white;
    font-weight: 600;
}}
QPushButton#primaryButton:disabled {{ background: {theme.BORDER}; border-color: {theme.BORDER}; }}
QToolButton {{
    border: 1px solid {theme.BORDER};
    border-radius: 4px;
    padding: 3px 10px;
    background: {theme.SURFACE};
}}
QToolButton:checked {{
    background: {theme.WARNING_BG};
    border-color: {theme.WARNING};
    color: {theme.WARNING};
    font-weight: 600;
}}
QTableView {{ outline: 0; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{
    padding: 5px 14px;
    color: {theme.MUTED_TEXT};
    border: none;
    border-bottom: 2px solid transparent;
}}
QTabBar::tab:selected {{ color: {theme.TEXT}; border-bottom: 2px solid {theme.ACCENT}; }}
QTabBar::tab:hover {{ color: {theme.TEXT}; }}
QLabel#streamStatus {{ color: {theme.MUTED_TEXT}; padding: 2px 2px; }}
QLabel#streamStatus[state="paused"] {{ color: {theme.WARNING}; font-weight: 600; }}
QLabel#streamStatus[state="error"] {{ color: {theme.DANGER}; font-weight: 600; }}
QLabel#streamNotice {{ color: {theme.LIVE}; padding: 0 6px; }}
QTextBrowser#eventDetails {{
    background: {theme.SURFACE};
    border: 1px solid {theme.BORDER};
}}
QProgressBar {{
    border: 1px solid {theme.BORDER};
    border-radius: 3px;
    background: {theme.SURFACE};
    max-height: 8px;
}}
QProgressBar::chunk {{ background: {theme.ACCENT}; border-radius: 2px; }}
"""


def make_table(model: EventTableModel, name: str) -> EventTableView:
    view = EventTableView()
    view.setObjectName(name)
    view.setModel(model)
    # Fixed row heights (set_up_table's): the view never measures thousands of rows.
    set_up_table(
        view,
        selection=QAbstractItemView.SelectionMode.ExtendedSelection,
        elide=Qt.TextElideMode.ElideMiddle,  # ids differ at both ends
    )
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
    view.setTabKeyNavigation(False)  # Tab leaves the table, arrows move in it
    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    for column, width in _COLUMN_WIDTHS.items():
        view.setColumnWidth(column, width)
    return view


def status_label() -> QLabel:
    label = QLabel()
    label.setObjectName("streamStatus")
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def set_state(label: QLabel, state: str) -> None:
    if label.property("state") != state:
        label.setProperty("state", state)
        label.style().unpolish(label)
        label.style().polish(label)


def set_tab_text(tabs: QTabWidget, index: int, text: str) -> None:
    if tabs.tabText(index) != text:  # a new text lays the tab bar out again
        tabs.setTabText(index, text)

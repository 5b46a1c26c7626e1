"""The alert list as a table model: time, rule, value, what happened, acknowledged.

The model owns no state of its own: it wraps the list of :class:`~monitor.core.alerts.
Alert` it was last given (newest first, bounded by the reader) and forwards a reset.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from monitor.core.alerts import Alert
from monitor.core.envelope import format_time
from monitor.ui import theme

COLUMNS = ("Time", "Rule", "Value", "What happened", "")
TIME, RULE, VALUE, MESSAGE, OPEN = range(len(COLUMNS))

Index = QModelIndex | QPersistentModelIndex


def local_time(at: float) -> str:
    """The time on this computer's clock, to the second (UTC in the tooltip)."""
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")


def value_text(alert: Alert) -> str:
    v = alert.value
    if alert.series.endswith(".lag_seconds"):
        return f"{v:,.0f} s"
    if "share" in alert.rule:
        return f"{v:.1f} %"
    return f"{v:,.0f}" if v == int(v) or abs(v) >= 100 else f"{v:.2f}"


def open_label(alert: Alert) -> str:
    """What the row's button opens."""
    return {
        "dead_letters": "Open dead letters",
        "group": "Open groups",
        "topic": "Open topic" if alert.target else "Open stream",
    }.get(alert.target_kind or "", "Open")


class AlertTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.alerts: list[Alert] = []

    def set_alerts(self, alerts: list[Alert]) -> None:
        self.beginResetModel()
        self.alerts = list(alerts)
        self.endResetModel()

    def alert(self, row: int) -> Alert:
        return self.alerts[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.alerts)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        a = self.alerts[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == TIME:
                return local_time(a.fired_at)
            if column == RULE:
                return a.rule
            if column == VALUE:
                return value_text(a)
            if column == MESSAGE:
                return a.message + ("" if not a.acknowledged else "  \u2713 acknowledged")
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == TIME:
                return format_time(a.fired_at)
            if column in (RULE, MESSAGE):
                return f"{a.rule}: {a.message}\nseries {a.series}" + (
                    f"\nacknowledged {format_time(a.acknowledged_at)}"
                    if a.acknowledged_at is not None
                    else ""
                )
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(theme.MUTED_TEXT if a.acknowledged else theme.TEXT)
        if role == Qt.ItemDataRole.FontRole and not a.acknowledged and column == RULE:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column == VALUE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

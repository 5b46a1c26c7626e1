"""Table models of the Catalog view: the event types with their badges, and findings.

Each model owns no state of its own: it wraps the rows it was last given (built from the
core's :class:`~monitor.core.catalog.catalog.Catalog` and review) and forwards a reset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from monitor.core.catalog.entry import EventTypeEntry
from monitor.core.design_review.finding import RANK, Finding
from monitor.ui import theme

Index = QModelIndex | QPersistentModelIndex


@dataclass(slots=True, frozen=True)
class TypeRow:
    type: str
    count: int
    topics: str
    errors: int
    warnings: int
    infos: int

    @property
    def badge(self) -> str:
        """The type's findings in a few characters: ``2 errors, 1 warning``."""
        parts = []
        for n, word in ((self.errors, "error"), (self.warnings, "warning"), (self.infos, "info")):
            if n:
                parts.append(f"{n} {word}{'s' if n > 1 and word != 'info' else ''}")
        return ", ".join(parts) or "-"

    @property
    def worst(self) -> str | None:
        if self.errors:
            return "error"
        if self.warnings:
            return "warning"
        return "info" if self.infos else None


def type_rows(entries: list[EventTypeEntry], findings: list[Finding]) -> list[TypeRow]:
    rows = []
    for e in entries:
        mine = [f.severity for f in findings if f.event_type == e.type]
        rows.append(
            TypeRow(
                e.type,
                e.count,
                ", ".join(sorted(e.topics)),
                mine.count("error"),
                mine.count("warning"),
                mine.count("info"),
            )
        )
    return rows


def severity_colour(severity: str | None) -> QColor | None:
    if severity == "error":
        return QColor(theme.DANGER)
    if severity == "warning":
        return QColor(theme.WARNING)
    return None


class _ListModel(QAbstractTableModel):
    """A read-only table over a list: a subclass names its ``COLUMNS`` and says how many
    rows it has (``_count``)."""

    COLUMNS: tuple[str, ...] = ()

    def _count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count()

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None


class TypeTableModel(_ListModel):
    COLUMNS = ("Event type", "Findings", "Events", "Topics")
    TYPE, FINDINGS, COUNT, TOPICS = range(4)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[TypeRow] = []

    def set_rows(self, rows: list[TypeRow]) -> None:
        if rows == self.rows:
            return  # nothing changed: keep the selection and the scroll position
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def row_of(self, type_: str) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.type == type_), None)

    def _count(self) -> int:
        return len(self.rows)

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return (row.type, row.badge, f"{row.count:,}", row.topics)[col]
        if role == Qt.ItemDataRole.ForegroundRole and col == self.FINDINGS:
            return severity_colour(row.worst)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.COUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class FindingTableModel(_ListModel):
    COLUMNS = ("Severity", "Rule", "Event type", "Topic", "Why it matters")
    SEVERITY, RULE, TYPE, TOPIC, MESSAGE = range(5)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.findings: list[Finding] = []

    def set_findings(self, findings: list[Finding]) -> None:
        ordered = sorted(findings, key=lambda f: (-RANK[f.severity], f.rule, f.event_type or ""))
        if [f.to_dict() for f in ordered] == [f.to_dict() for f in self.findings]:
            return
        self.beginResetModel()
        self.findings = ordered
        self.endResetModel()

    def finding(self, row: int) -> Finding:
        return self.findings[row]

    def _count(self) -> int:
        return len(self.findings)

    def data(self, index: Index, role: int = 0) -> Any:
        if not index.isValid():
            return None
        f, col = self.findings[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (f.severity, f.rule, f.event_type or "", f.topic or "", f.message)[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f.message if col == self.MESSAGE else (f.event_type or f.topic or f.rule)
        if role == Qt.ItemDataRole.ForegroundRole and col == self.SEVERITY:
            return severity_colour(f.severity)
        return None

"""Qt table models over a cluster's topics and consumer groups, as the session read them.

Both wrap plain lists (``TopicInfo`` / ``GroupInfo`` from the Kafka adapter) and own no
other state. A refresh with the same rows in the same order only changes cells (the
user's selection and scroll position stay); a different set of rows resets the model.
``SortRole`` gives numbers as numbers, so a proxy model sorts "10" after "9".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QPixmap

from adapters.kafka.cluster import GroupInfo, TopicInfo
from adapters.kafka.tail import matches_any
from monitor.ui import theme
from monitor.ui.dots import dot_pixmap

AnyIndex = QModelIndex | QPersistentModelIndex
SortRole = Qt.ItemDataRole.UserRole + 1

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _tailed_dot() -> QPixmap:
    return dot_pixmap(theme.LIVE, 10)


def _blank_dot() -> QPixmap:
    """Nothing, the size of a dot, so names line up."""
    return dot_pixmap(None, 10)


class _ListModel(QAbstractTableModel):
    headers: tuple[str, ...] = ()
    numeric: frozenset[int] = frozenset()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if section in self.numeric else _LEFT
        return None

    def row(self, index: int) -> Any:
        return self._rows[index]

    def _key(self, item: Any) -> str:
        raise NotImplementedError

    def _replace(self, rows: Sequence[Any]) -> None:
        rows = list(rows)
        if [self._key(r) for r in rows] == [self._key(r) for r in self._rows]:
            self._rows = rows
            if rows:
                last = self.index(len(rows) - 1, self.columnCount() - 1)
                self.dataChanged.emit(self.index(0, 0), last)
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        column = index.column()
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in self.numeric else _LEFT
        return self._cell(self._rows[index.row()], column, role)

    def _cell(self, item: Any, column: int, role: int) -> Any:
        raise NotImplementedError


class TopicsModel(_ListModel):
    """Topic, partitions, messages, and whether it holds dead letters (and of what)."""

    NAME, PARTITIONS, MESSAGES, DEAD_LETTERS = range(4)
    headers = ("Topic", "Partitions", "Messages", "Dead letters")
    numeric = frozenset({PARTITIONS, MESSAGES})

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._tailed: list[str] = []

    def set_topics(self, topics: Sequence[TopicInfo]) -> None:
        self._replace(topics)

    def set_tailed(self, patterns: Sequence[str]) -> None:
        """Mark the topics a running tail reads (bold green names)."""
        if list(patterns) != self._tailed:
            self._tailed = list(patterns)
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def topic(self, row: int) -> TopicInfo:
        return self._rows[row]  # type: ignore[no-any-return]

    def _key(self, item: Any) -> str:
        return str(item.name)

    def _cell(self, t: TopicInfo, column: int, role: int) -> Any:
        tailed = bool(self._tailed) and matches_any(t.name, self._tailed)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return t.name
            if column == self.PARTITIONS:
                return f"{len(t.partitions):,}"
            if column == self.MESSAGES:
                return f"{t.messages:,}"
            if column == self.DEAD_LETTERS:
                return f"dead letters of {t.dead_letter_of}" if t.is_dead_letter_topic else ""
        if role == SortRole:
            return (t.name, len(t.partitions), t.messages, t.dead_letter_of or "")[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if t.is_dead_letter_topic and t.messages > 0:
                return QColor(theme.DANGER)
            if column == self.NAME and tailed:
                return QColor(theme.LIVE)
            if column == self.DEAD_LETTERS:
                return QColor(theme.MUTED_TEXT)
        if role == Qt.ItemDataRole.FontRole and column == self.NAME and tailed:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and column == self.NAME:
            return _tailed_dot() if tailed else _blank_dot()
        if role == Qt.ItemDataRole.ToolTipRole:
            offsets = ", ".join(
                f"[{p.partition}] {p.begin:,}..{p.end:,}" for p in t.partitions[:16]
            )
            more = f" and {len(t.partitions) - 16} more" if len(t.partitions) > 16 else ""
            tip = f"{t.name}: offsets {offsets}{more}"
            if tailed:
                tip += "\nBeing tailed into the stream."
            return tip
        return None


class GroupsModel(_ListModel):
    """Consumer group, state, members, total lag, and the topics it has offsets for."""

    GROUP, STATE, MEMBERS, LAG, TOPICS = range(5)
    headers = ("Consumer group", "State", "Members", "Lag", "Topics")
    numeric = frozenset({MEMBERS, LAG})

    def set_groups(self, groups: Sequence[GroupInfo]) -> None:
        self._replace(groups)

    def group(self, row: int) -> GroupInfo:
        return self._rows[row]  # type: ignore[no-any-return]

    def _key(self, item: Any) -> str:
        return str(item.group_id)

    def _cell(self, g: GroupInfo, column: int, role: int) -> Any:
        clamped = any(p.clamped for p in g.partitions)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.GROUP:
                return g.group_id
            if column == self.STATE:
                return g.state
            if column == self.MEMBERS:
                return f"{g.members:,}"
            if column == self.LAG:
                return f"{g.lag:,}" + (" ?" if clamped else "")
            if column == self.TOPICS:
                return ", ".join(sorted({p.topic for p in g.partitions}))
        if role == SortRole:
            topics = ", ".join(sorted({p.topic for p in g.partitions}))
            return (g.group_id, g.state, g.members, g.lag, topics)[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.LAG and g.lag > 0:
                return QColor(theme.WARNING)
            if column == self.STATE:
                return QColor(theme.LIVE if g.state == "Stable" else theme.MUTED_TEXT)
        if role == Qt.ItemDataRole.FontRole and column == self.LAG and g.lag > 0:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [
                f"{p.topic}[{p.partition}] committed {p.committed:,}, end {p.end:,}, lag {p.lag:,}"
                + ("  (committed past the end: lag shown as 0)" if p.clamped else "")
                for p in g.partitions[:20]
            ]
            return "\n".join(lines) or "No committed offsets."
        return None

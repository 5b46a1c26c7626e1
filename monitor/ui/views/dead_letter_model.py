"""Qt models of the dead-letter view: the letters table, its filter, and the reason groups.

:class:`DeadLetterTableModel` owns no state of its own: it wraps a plain list of
:class:`~monitor.core.deadletters.DeadLetter` (newest first) and, on every refresh, turns
the difference between the old and the new list into row removals, insertions and
``dataChanged`` -- so a selection, the current row and the scroll position survive the
two-second refresh. :class:`DeadLetterFilterProxy` filters by status, reason group and
free text, and sorts. :class:`ReasonGroupModel` lists the reason groups with their counts,
"All reasons" first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from monitor.core.dead_letter_groups import ReasonGroup
from monitor.core.deadletters import DeadLetter, Status
from monitor.core.envelope import format_time
from monitor.ui import theme
from monitor.ui.display_format import AgeClock
from monitor.ui.dots import dot_icon

AnyIndex = QModelIndex | QPersistentModelIndex

LetterRole = Qt.ItemDataRole.UserRole + 1  # the DeadLetter behind a row
SortRole = Qt.ItemDataRole.UserRole + 2  # a value that sorts the column correctly
GroupKeyRole = Qt.ItemDataRole.UserRole + 3  # ReasonGroupModel: the group key (None: all)
CountRole = Qt.ItemDataRole.UserRole + 4  # ReasonGroupModel: letters in the group
GroupRole = Qt.ItemDataRole.UserRole + 5  # ReasonGroupModel: the ReasonGroup (None: all)
PendingRole = Qt.ItemDataRole.UserRole + 6  # ReasonGroupModel: pending letters in the group


class Column(IntEnum):
    STATUS = 0
    AGE = 1
    REASON = 2
    EVENT_TYPE = 3
    TOPIC = 4
    HANDLER = 5
    ATTEMPTS = 6
    REPLAYS = 7


HEADERS = {
    Column.STATUS: "Status",
    Column.AGE: "Age",
    Column.REASON: "Reason",
    Column.EVENT_TYPE: "Event",
    Column.TOPIC: "Original topic",
    Column.HANDLER: "Handler",
    Column.ATTEMPTS: "Attempts",
    Column.REPLAYS: "Replays",
}

HEADER_TIPS = {
    Column.STATUS: "pending: waiting for a replay or a discard",
    Column.AGE: "How long ago the handler gave up on the event",
    Column.REASON: "The exception the handler raised on its last attempt",
    Column.EVENT_TYPE: "The type of the event that failed",
    Column.TOPIC: "Where the event was going: a replay sends it there again",
    Column.HANDLER: "The handler (consumer) that failed on it",
    Column.ATTEMPTS: "Deliveries tried before the event became a dead letter",
    Column.REPLAYS: "How many times it has been replayed",
}

_NUMERIC = frozenset({Column.ATTEMPTS, Column.REPLAYS})
_STATUS_ORDER = {"pending": 0, "replayed": 1, "discarded": 2}

BUS_ORIGIN = "bus"  # DeadLetter.origin of a letter the embedded bus filed
KAFKA_ORIGIN = "kafka"  # ...of one read from a cluster: "kafka:<profile>" ("kafka": unknown)


def letter_origin(letter: DeadLetter) -> str:
    """Where ``letter`` was filed: ``"bus"``, ``"kafka:<profile name>"`` or ``"kafka"``.

    ``DeadLetter.origin``, except for a letter of a log written before origins were
    stored (read back as from the bus): its id tells a Kafka record's position
    (``kafka:topic:partition:offset``; which cluster is not known).
    """
    origin = letter.origin or BUS_ORIGIN
    if origin == BUS_ORIGIN and letter.id.startswith(KAFKA_ORIGIN + ":"):
        return KAFKA_ORIGIN
    return origin


def origin_label(origin: str) -> str:
    """An origin as people read it: "Embedded bus", "Kafka \u00b7 prod" (or "Kafka")."""
    if origin == BUS_ORIGIN:
        return "Embedded bus"
    if origin == KAFKA_ORIGIN or origin.startswith(KAFKA_ORIGIN + ":"):
        name = origin[len(KAFKA_ORIGIN) + 1 :]
        return f"Kafka \u00b7 {name}" if name else "Kafka"
    return origin


def status_colour(status: str) -> str:
    """The theme colour of a status (read when painting, so a theme switch applies)."""
    if status == "pending":
        return theme.DANGER
    if status == "replayed":
        return theme.LIVE
    return theme.MUTED_TEXT


def letter_status_colour(letter: DeadLetter) -> str:
    """A letter's status colour; a replay that failed again is a warning, not a success."""
    return theme.WARNING if letter.failed_again_as else status_colour(letter.status)


def letter_status_text(letter: DeadLetter) -> str:
    """A letter's status in words that fit the status column ("failed again" for a
    replay that failed again: the tooltip and the history name the new letter)."""
    return "failed again" if letter.failed_again_as else letter.status


class DeadLetterTableModel(QAbstractTableModel):
    """Rows of dead letters, in the order given (the view sorts through the proxy)."""

    def __init__(
        self,
        parent: Any = None,
        *,
        clock: Callable[[], float] = time.time,
        ages: AgeClock | None = None,
    ) -> None:
        super().__init__(parent)
        self._rows: list[DeadLetter] = []
        self._row_of: dict[str, int] = {}
        # The instant the Age column is measured from, shared with the inspector so the
        # two always say the same age (read once per refresh, in set_letters).
        self.ages = ages if ages is not None else AgeClock(clock)
        self._mono: QFont | None = None

    # -- feeding ------------------------------------------------------------------------

    def set_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Make the rows ``letters`` (newest first), changing only what changed.

        Rows that left are removed, new ones inserted where they belong, changed ones
        (status, replay count, an edited event) reported with ``dataChanged``; the age
        column is refreshed for all, against a fresh read of :attr:`ages`.
        """
        self.ages.tick()
        new_ids = {d.id for d in letters}
        if len(new_ids) != len(letters) or not self._keeps_order(letters, new_ids):
            self._reset(letters)
            return
        # 1. removals, bottom up, in contiguous runs
        i = len(self._rows) - 1
        while i >= 0:
            if self._rows[i].id in new_ids:
                i -= 1
                continue
            j = i
            while j > 0 and self._rows[j - 1].id not in new_ids:
                j -= 1
            self.beginRemoveRows(QModelIndex(), j, i)
            del self._rows[j : i + 1]
            self.endRemoveRows()
            i = j - 1
        # 2. insertions and changes, top down (what is left is in the new list's order)
        pos = 0
        k = 0
        changed: list[int] = []
        while k < len(letters):
            if pos < len(self._rows) and self._rows[pos].id == letters[k].id:
                if self._rows[pos] != letters[k]:
                    self._rows[pos] = letters[k]
                    changed.append(pos)
                pos += 1
                k += 1
                continue
            start = k
            while k < len(letters) and (
                pos >= len(self._rows) or letters[k].id != self._rows[pos].id
            ):
                k += 1
            self.beginInsertRows(QModelIndex(), pos, pos + (k - start) - 1)
            self._rows[pos:pos] = letters[start:k]
            self.endInsertRows()
            pos += k - start
        self._row_of = {d.id: r for r, d in enumerate(self._rows)}
        last = len(Column) - 1
        for row in changed:
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))
        if self._rows:
            age = self.index(0, Column.AGE), self.index(len(self._rows) - 1, Column.AGE)
            self.dataChanged.emit(*age, [Qt.ItemDataRole.DisplayRole])

    def _keeps_order(self, letters: Sequence[DeadLetter], new_ids: set[str]) -> bool:
        """Whether the rows that stay appear in ``letters`` in the same order (always so
        for lists sorted by the same key; checked so that a surprise resets, not corrupts)."""
        staying = [d.id for d in self._rows if d.id in new_ids]
        old = set(staying)
        return staying == [d.id for d in letters if d.id in old]

    def _reset(self, letters: Sequence[DeadLetter]) -> None:
        self.beginResetModel()
        seen: set[str] = set()
        self._rows = []
        for d in letters:  # a repeated id keeps its first row
            if d.id not in seen:
                seen.add(d.id)
                self._rows.append(d)
        self._row_of = {d.id: r for r, d in enumerate(self._rows)}
        self.endResetModel()

    def letter(self, row: int) -> DeadLetter:
        return self._rows[row]

    def letters(self) -> list[DeadLetter]:
        return list(self._rows)

    def row_of(self, letter_id: str) -> int | None:
        return self._row_of.get(letter_id)

    # -- QAbstractTableModel ------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[Column(section)]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows)) or not (0 <= column < len(Column)):
            return None
        letter = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(letter, column)
        if role == LetterRole:
            return letter
        if role == SortRole:
            return self._sort_key(letter, column)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.STATUS:
            return dot_icon(letter_status_colour(letter))
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == Column.STATUS:
                return QBrush(QColor(letter_status_colour(letter)))
            if letter.status == "discarded":
                return QBrush(QColor(theme.MUTED_TEXT))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(letter, column)
        return None

    def _text(self, letter: DeadLetter, column: int) -> str:
        if column == Column.STATUS:
            # A replay that failed again is not a success: say so where the eye looks.
            return letter_status_text(letter)
        if column == Column.AGE:
            return self.ages.age(letter.created_at)
        if column == Column.REASON:
            return letter.reason.splitlines()[0] if letter.reason else ""
        if column == Column.EVENT_TYPE:
            return letter.event.type
        if column == Column.TOPIC:
            return letter.original_topic or "(unknown)"
        if column == Column.HANDLER:
            return letter.handler or ""
        if column == Column.ATTEMPTS:
            return str(letter.attempts)
        if column == Column.REPLAYS:
            return str(letter.replay_count)
        return ""

    @staticmethod
    def _sort_key(letter: DeadLetter, column: int) -> Any:
        if column == Column.STATUS:
            return _STATUS_ORDER.get(letter.status, 9)
        if column == Column.AGE:
            return letter.created_at
        if column == Column.ATTEMPTS:
            return letter.attempts
        if column == Column.REPLAYS:
            return letter.replay_count
        return DeadLetterTableModel._text_of(letter, column).lower()

    @staticmethod
    def _text_of(letter: DeadLetter, column: int) -> str:
        if column == Column.REASON:
            return letter.reason
        if column == Column.EVENT_TYPE:
            return letter.event.type
        if column == Column.TOPIC:
            return letter.original_topic or ""
        if column == Column.HANDLER:
            return letter.handler or ""
        return ""

    @staticmethod
    def _tooltip(letter: DeadLetter, column: int) -> str | None:
        if column == Column.REASON:
            return letter.reason
        if column == Column.TOPIC:
            topic = letter.original_topic or "(unknown)"
            return f"{topic}, filed by {origin_label(letter_origin(letter))}"
        if column in (Column.EVENT_TYPE, Column.HANDLER):
            return DeadLetterTableModel._text_of(letter, column) or None
        if column == Column.AGE:
            return f"failed at {format_time(letter.created_at)}"
        if column == Column.STATUS and letter.failed_again_as:
            return f"Its replay failed again: new dead letter {letter.failed_again_as}"
        if column == Column.STATUS and letter.status == "pending":
            waiting = "Waiting: replay it once the cause is fixed, or discard it"
            if letter.replayed_from:
                return f"Replayed from dead letter {letter.replayed_from}, failed again. {waiting}"
            return waiting
        return None


class DeadLetterFilterProxy(QSortFilterProxyModel):
    """Filters rows by status, origin, reason group and free text; sorts by
    :data:`SortRole`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._status: Status | None = "pending"
        self._origin: str | None = None
        self._group: str | None = None
        self._text = ""
        self.setSortRole(SortRole)
        self.setDynamicSortFilter(True)

    @property
    def status(self) -> Status | None:
        return self._status

    @property
    def group(self) -> str | None:
        return self._group

    @property
    def origin(self) -> str | None:
        return self._origin

    def set_origin(self, origin: str | None) -> None:
        """Show the letters of one origin (:func:`letter_origin`; ``None``: every one)."""
        if origin != self._origin:
            self.beginFilterChange()
            self._origin = origin
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def accepts(self, letter: DeadLetter) -> bool:
        """Whether the status, origin and group filters let ``letter`` through (the
        text filter aside: the reason groups are counted without it)."""
        if self._status is not None and letter.status != self._status:
            return False
        return self._origin is None or letter_origin(letter) == self._origin

    def set_status(self, status: Status | None) -> None:
        """Show one status (``None``: all)."""
        if status != self._status:
            self.beginFilterChange()
            self._status = status
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_group(self, group: str | None) -> None:
        """Show one reason group (``None``: every group)."""
        if group != self._group:
            self.beginFilterChange()
            self._group = group
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        """Keep rows whose reason, event type, topic, handler or ids contain ``text``."""
        text = text.strip().lower()
        if text != self._text:
            self.beginFilterChange()
            self._text = text
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, DeadLetterTableModel) or source_parent.isValid():
            return True
        letter = model.letter(source_row)
        if not self.accepts(letter):
            return False
        if self._group is not None and letter.reason_group != self._group:
            return False
        if self._text:
            haystack = " ".join(
                (
                    letter.reason,
                    letter.event.type,
                    letter.original_topic or "",
                    letter.handler or "",
                    letter.id,
                    letter.event.id,
                    letter.event.correlation_id or "",
                )
            ).lower()
            return self._text in haystack
        return True

    def letter_at(self, row: int) -> DeadLetter | None:
        value = self.data(self.index(row, 0), LetterRole)
        return value if isinstance(value, DeadLetter) else None

    def row_of(self, letter_id: str) -> int | None:
        """The row showing the letter with this id, or None when it is filtered out."""
        model = self.sourceModel()
        if not isinstance(model, DeadLetterTableModel):
            return None
        source_row = model.row_of(letter_id)
        if source_row is None:
            return None
        index = self.mapFromSource(model.index(source_row, 0))
        return index.row() if index.isValid() else None

    def visible_letters(self) -> list[DeadLetter]:
        out = []
        for row in range(self.rowCount()):
            letter = self.letter_at(row)
            if letter is not None:
                out.append(letter)
        return out


class ReasonGroupModel(QAbstractListModel):
    """ "All reasons" first, then one row per :class:`ReasonGroup` (biggest first)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._groups: list[ReasonGroup] = []
        self._total = 0

    def set_groups(self, groups: Sequence[ReasonGroup]) -> None:
        """Replace the groups. Unchanged keys in the same order only update their rows."""
        groups = list(groups)
        total = sum(g.count for g in groups)
        if [g.key for g in groups] == [g.key for g in self._groups]:
            changed = [
                i for i, (a, b) in enumerate(zip(self._groups, groups, strict=True)) if a != b
            ]
            self._groups = groups
            if total != self._total:
                self._total = total
                changed.insert(0, -1)
            for i in changed:
                index = self.index(i + 1, 0)
                self.dataChanged.emit(index, index)
            return
        self.beginResetModel()
        self._groups = groups
        self._total = total
        self.endResetModel()

    def groups(self) -> list[ReasonGroup]:
        return list(self._groups)

    def row_of(self, key: str | None) -> int | None:
        if key is None:
            return 0
        for i, g in enumerate(self._groups):
            if g.key == key:
                return i + 1
        return None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._groups) + 1

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() != 0:
            return None
        row = index.row()
        if not 0 <= row <= len(self._groups):
            return None
        group = self._groups[row - 1] if row else None
        if role == Qt.ItemDataRole.DisplayRole:
            return group.key if group is not None else "All reasons"
        if role == CountRole:
            return group.count if group is not None else self._total
        if role == PendingRole:
            return group.pending if group is not None else sum(g.pending for g in self._groups)
        if role == GroupKeyRole:
            return group.key if group is not None else None
        if role == GroupRole:
            return group
        if role == Qt.ItemDataRole.ToolTipRole:
            if group is None:
                return "Every dead letter of the status shown"
            lines = [group.example]
            if group.handlers:
                lines.append("handler: " + ", ".join(group.handlers))
            if group.topics:
                lines.append("original topic: " + ", ".join(group.topics))
            lines.append(f"{group.count} letters, {group.pending} pending")
            return "\n".join(lines)
        return None

"""The live event table: a Qt model over a bounded list of envelopes, newest first.

Rows arrive in whole batches (one ``beginInsertRows`` per timer tick, never one per
event) and the oldest rows are dropped past ``capacity``, so memory and the cost of a
redraw stay fixed however long the app runs. Cells are formatted when the view asks for
them, which is only for the rows on screen.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from monitor.core.envelope import Envelope, format_time
from monitor.core.header_text import visible
from monitor.ui import theme

DEFAULT_CAPACITY = 5000
SHORT_ID_LENGTH = 8

# The envelope behind a row, for views that show details (Qt.UserRole + 1).
EnvelopeRole = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ENVELOPE = int(EnvelopeRole)
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class Column(IntEnum):
    TIME = 0
    TOPIC = 1
    TYPE = 2
    FORMAT = 3  # json, avro, protobuf, text, tombstone, undecoded, ...: beside the type
    SOURCE = 4
    CORRELATION = 5
    KEY = 6
    SUBJECT = 7


HEADERS = {
    Column.TIME: "Time",
    Column.TOPIC: "Topic",
    Column.TYPE: "Type",
    Column.FORMAT: "Format",
    Column.SOURCE: "Source",
    Column.CORRELATION: "Correlation",
    Column.KEY: "Key",
    Column.SUBJECT: "Subject",
}

# Timestamps and ids are compared by eye across rows: fixed-pitch digits line up.
MONOSPACE_COLUMNS = frozenset({int(Column.TIME), int(Column.CORRELATION)})
_COLUMN_COUNT = len(Column)


def format_local_time(ts: float | None) -> str:
    """Epoch seconds -> ``HH:MM:SS.mmm`` in local time; empty when unknown or absurd."""
    if ts is None:
        return ""
    try:
        # Through datetime, as format_time makes the RFC 3339 form, so the two agree to
        # the millisecond (cutting the float at once showed .638 for a time written .639).
        local = datetime.fromtimestamp(ts)
    except (OverflowError, OSError, ValueError):
        return ""
    return local.isoformat(timespec="milliseconds")[11:23]


def format_local_moment(ts: float | None, now: float | None = None) -> str:
    """Like :func:`format_local_time`, with the local date in front when it is not
    today's: "11:51:18.252" for today, "2026-12-03 11:51:18.252" for three days ago."""
    text = format_local_time(ts)
    if not text or ts is None:
        return text
    day = datetime.fromtimestamp(ts).date()
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    return text if day == today else f"{day.isoformat()} {text}"


def schema_text(schema: dict[str, Any] | None) -> str | None:
    """A schema's description in one line: ``orders-value v3, id 42, com.acme.Order``."""
    if not schema:
        return None
    subject = schema.get("subject")
    version = schema.get("version")
    bits = [f"{subject} v{version}" if subject and version else subject]
    if schema.get("id") is not None:
        bits.append(f"id {schema['id']}")
    elif schema.get("guid"):
        bits.append(f"GUID {schema['guid']}")
    bits.append(schema.get("name"))
    return ", ".join(str(b) for b in bits if b) or None


def cell_text(event: Envelope, column: int) -> str:
    """What the table shows for ``event`` in ``column``."""
    if column == Column.TIME:
        return format_local_time(event.time)
    if column == Column.TOPIC:
        return event.topic or ""
    if column == Column.TYPE:
        return event.type or ("(malformed)" if event.malformed else "")
    if column == Column.SOURCE:
        return event.source or ""
    if column == Column.CORRELATION:
        return (event.correlation_id or "")[:SHORT_ID_LENGTH]
    if column == Column.KEY:
        return visible(event.key) if event.key else ""  # a binary key's bytes as \xNN
    if column == Column.SUBJECT:
        return event.subject or ""
    if column == Column.FORMAT:
        return event.format or ""
    return ""


class EventTableModel(QAbstractTableModel):
    """Read-only rows of envelopes, newest at row 0, at most ``capacity`` of them."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY, parent: Any = None) -> None:
        super().__init__(parent)
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._rows: deque[Envelope] = deque()  # index 0 is the newest event
        self._warning = (theme.WARNING, QBrush(QColor(theme.WARNING)))
        self._mono: QFont | None = None  # made on first use: fonts need a QGuiApplication

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def warning_brush(self) -> QBrush:
        """Malformed rows' text colour, in the current theme (a switch changes it)."""
        if self._warning[0] != theme.WARNING:
            self._warning = (theme.WARNING, QBrush(QColor(theme.WARNING)))
        return self._warning[1]

    # -- feeding ------------------------------------------------------------------------

    def append_batch(self, events: Sequence[Envelope]) -> int:
        """Add ``events`` (oldest first, as the live buffer hands them) on top.

        Returns how many rows were inserted. The oldest rows beyond capacity are removed
        first, so the model never holds more than ``capacity`` envelopes.
        """
        if not events:
            return 0
        fresh = list(events[-self._capacity :])  # older ones would be trimmed at once
        overflow = len(self._rows) + len(fresh) - self._capacity
        if overflow > 0:
            first = len(self._rows) - overflow
            self.beginRemoveRows(QModelIndex(), first, len(self._rows) - 1)
            for _ in range(overflow):
                self._rows.pop()
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), 0, len(fresh) - 1)
        self._rows.extendleft(fresh)  # extendleft reverses: the newest lands at row 0
        self.endInsertRows()
        return len(fresh)

    def extend_older(self, events: Sequence[Envelope]) -> int:
        """Add ``events`` (newest first, as a log search returns them) at the bottom.

        Returns how many rows were inserted: only as many as fit under ``capacity``; the
        rows already shown are never dropped for older ones.
        """
        fresh = list(events[: self._capacity - len(self._rows)])
        if not fresh:
            return 0
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._rows.extend(fresh)
        self.endInsertRows()
        return len(fresh)

    def replace_all(self, events: Sequence[Envelope]) -> None:
        """Show exactly ``events`` (newest first), at most ``capacity`` of them."""
        self.beginResetModel()
        self._rows = deque(events[: self._capacity])
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._rows.clear()
        self.endResetModel()

    def refresh(self) -> None:
        """Redraw every row: their envelopes changed in place (decoded late)."""
        if self._rows:
            last = self.index(len(self._rows) - 1, _COLUMN_COUNT - 1)
            self.dataChanged.emit(self.index(0, 0), last)

    @property
    def is_full(self) -> bool:
        return len(self._rows) >= self._capacity

    def envelope(self, row: int) -> Envelope:
        return self._rows[row]

    def envelopes(self) -> list[Envelope]:
        """Every row's envelope, newest first."""
        return list(self._rows)

    # -- QAbstractTableModel ------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else _COLUMN_COUNT

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            try:
                return HEADERS[Column(section)]
            except ValueError:
                return None
        return str(section + 1)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every visible cell and role on each repaint: roles are compared as
        # plain ints (comparing with Qt enum members costs ~20x more in PySide6).
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        rows = self._rows
        if not (0 <= row < len(rows)) or not (0 <= column < _COLUMN_COUNT):
            return None
        role = int(role)
        event = rows[row]
        if role == _DISPLAY:
            return cell_text(event, column)
        if role == _FOREGROUND:
            return self.warning_brush if event.malformed else None
        if role == _FONT:
            if column not in MONOSPACE_COLUMNS:
                return None
            if self._mono is None:
                self._mono = theme.monospace_font()
            return self._mono
        if role == _TOOLTIP:
            return self._tooltip(event, column)
        if role == _ENVELOPE:
            return event
        return None

    @staticmethod
    def _tooltip(event: Envelope, column: int) -> str | None:
        if event.malformed:
            return f"Malformed record: {event.error or 'could not be decoded'}"
        if column == Column.CORRELATION and event.correlation_id:
            return event.correlation_id  # the cell shows only the first characters
        if column == Column.TIME and event.time is not None:
            return format_time(event.time)  # the full UTC timestamp, as logged
        if column == Column.FORMAT:
            if event.undecoded:
                return f"Undecoded: {event.error or 'its schema cannot be had yet'}"
            what = schema_text(event.schema)
            return f"{event.format}: {what}" if what else event.format
        return None

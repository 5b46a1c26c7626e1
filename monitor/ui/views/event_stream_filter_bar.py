"""The event stream's filter bar: type, topic, source, correlation id, free text.

It only edits an :class:`~monitor.core.event_filter.EventFilter` and says so: typing emits
:attr:`FilterBar.changed` once the user pauses (the live table follows as you type),
Enter in any field emits :attr:`FilterBar.submitted` at once, and the "Search log" button
emits :attr:`FilterBar.search_requested`. What the filter means is the core's business.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QCompleter,
    QFrame,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from monitor.core.event_filter import EventFilter

TYPING_PAUSE_MS = 250
MAX_SUGGESTIONS = 300


class FilterBar(QFrame):
    changed = Signal(object)  # EventFilter, after a pause in typing
    submitted = Signal(object)  # EventFilter, Enter pressed in a field
    search_requested = Signal(object)  # EventFilter, "Search log" clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self.type_edit = self._field("Type", "e.g. OrderPlaced", "Event type contains this")
        self.topic_edit = self._field(
            "Topic",
            "e.g. orders.placed or orders.*",
            "This topic exactly, or the topics a glob such as orders.* matches (case"
            " counts), as `eventflow events --topic` and `kafka tail --topic` read it",
        )
        self.source_edit = self._field("Source", "e.g. payments", "Source contains this")
        self.correlation_edit = self._field(
            "Correlation id",
            "id or prefix",
            "The event's correlation id (its own id when it has none) starts with this",
        )
        self.text_edit = self._field(
            "Payload and headers",
            'free text, e.g. ord-0000123 or "status": "failed"',
            "Text anywhere in the JSON payload or in a header name or value (case ignored)."
            " Malformed records: their reason and raw bytes too.",
        )
        self.malformed_check = QCheckBox("Malformed only")
        self.malformed_check.setToolTip("Only records that could not be decoded")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Empty every filter field")
        self.search_button = QPushButton("Search log")
        self.search_button.setObjectName("primaryButton")
        self.search_button.setToolTip(
            "Search the whole event log with this filter, newest first (Enter in the"
            " Log search tab)"
        )
        self.search_button.setDefault(False)
        self.search_button.setAutoDefault(False)
        self.clear_button.setAutoDefault(False)

        self._suggestions: dict[QLineEdit, tuple[QStringListModel, set[str]]] = {}
        for edit in (self.type_edit, self.topic_edit, self.source_edit):
            model = QStringListModel(self)
            completer = QCompleter(model, self)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            edit.setCompleter(completer)
            self._suggestions[edit] = (model, set())

        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self._emit_changed)
        self._last_emitted = EventFilter()

        for edit in self.edits():
            edit.textEdited.connect(self._typing.start)
            edit.returnPressed.connect(self._submit)
            # Esc empties the field, as in a browser's find bar (its suggestions list,
            # when open, takes the Esc first and closes).
            escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), edit)
            escape.setContext(Qt.ShortcutContext.WidgetShortcut)
            escape.activated.connect(lambda e=edit: self._clear_field(e))
        self.malformed_check.toggled.connect(self._emit_changed)
        self.clear_button.clicked.connect(self.clear)
        self.search_button.clicked.connect(lambda: self.search_requested.emit(self.filter()))

        grid = QGridLayout(self)
        grid.setContentsMargins(10, 6, 10, 8)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        columns = [
            ("Type", self.type_edit, 2),
            ("Topic", self.topic_edit, 2),
            ("Source", self.source_edit, 2),
            ("Correlation id", self.correlation_edit, 2),
            ("Payload and headers", self.text_edit, 5),
        ]
        for column, (caption, edit, stretch) in enumerate(columns):
            label = QLabel(caption)
            label.setObjectName("filterCaption")
            label.setBuddy(edit)
            grid.addWidget(label, 0, column)
            grid.addWidget(edit, 1, column)
            grid.setColumnStretch(column, stretch)
        base = len(columns)
        grid.addWidget(self.malformed_check, 1, base)
        grid.addWidget(self.clear_button, 1, base + 1)
        grid.addWidget(self.search_button, 1, base + 2)

        # Tab goes left to right through the fields, then the options and buttons.
        order: list[QWidget] = [
            *self.edits(),
            self.malformed_check,
            self.clear_button,
            self.search_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)

    @staticmethod
    def _field(caption: str, placeholder: str, tooltip: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tooltip)
        edit.setClearButtonEnabled(True)
        edit.setAccessibleName(caption)
        edit.setMinimumWidth(90)
        return edit

    def _clear_field(self, edit: QLineEdit) -> None:
        if edit.text():
            edit.clear()
            self._emit_changed()

    def edits(self) -> list[QLineEdit]:
        return [
            self.type_edit,
            self.topic_edit,
            self.source_edit,
            self.correlation_edit,
            self.text_edit,
        ]

    # -- the filter -----------------------------------------------------------------------

    def filter(self) -> EventFilter:
        return EventFilter(
            type=self.type_edit.text(),
            topic=self.topic_edit.text(),
            source=self.source_edit.text(),
            correlation_id=self.correlation_edit.text(),
            text=self.text_edit.text(),
            malformed_only=self.malformed_check.isChecked(),
        )

    def set_filter(self, flt: EventFilter, *, emit: bool = True) -> None:
        """Show ``flt`` in the fields; emits :attr:`changed` (once) unless told not to."""
        self._typing.stop()
        self.type_edit.setText(flt.type)
        self.topic_edit.setText(flt.topic)
        self.source_edit.setText(flt.source)
        self.correlation_edit.setText(flt.correlation_id)
        self.text_edit.setText(flt.text)
        self.malformed_check.blockSignals(True)
        self.malformed_check.setChecked(flt.malformed_only)
        self.malformed_check.blockSignals(False)
        if emit:
            self._emit_changed()
        else:
            self._last_emitted = self.filter()

    def clear(self) -> None:
        self.set_filter(EventFilter())

    def focus_text(self) -> None:
        """Put the cursor in the free-text field with its text selected (Ctrl+F)."""
        self.text_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.text_edit.selectAll()

    def add_suggestions(self, field: str, values: Iterable[str]) -> None:
        """Offer ``values`` as completions in the ``type``, ``topic`` or ``source`` field."""
        edit = {"type": self.type_edit, "topic": self.topic_edit, "source": self.source_edit}[field]
        model, known = self._suggestions[edit]
        fresh = {v for v in values if v and v not in known}
        if not fresh or len(known) >= MAX_SUGGESTIONS:
            return
        known.update(fresh)
        model.setStringList(sorted(known, key=str.lower))

    # -- signals --------------------------------------------------------------------------

    def _emit_changed(self) -> None:
        self._typing.stop()
        flt = self.filter()
        if flt != self._last_emitted:
            self._last_emitted = flt
            self.changed.emit(flt)

    def _submit(self) -> None:
        self._typing.stop()
        flt = self.filter()
        self._last_emitted = flt
        self.submitted.emit(flt)


__all__ = ["FilterBar"]

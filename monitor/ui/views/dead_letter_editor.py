"""The dialog that edits a dead letter's payload and headers before a replay.

Both are edited as JSON. Text that does not parse (or headers that are not an object of
strings) is refused: the message says what and where, and Save stays disabled. While the
user types, the right-hand side shows what changed against the original event (the one
that failed, when the log still has it): a list of changed fields and a unified diff.

The dialog builds the edited event (:meth:`DeadLetterEditDialog.edited_event`); the view
stores it, through the ``save`` coroutine it gives the dialog. Saving can be refused (an
Avro or Protobuf edit that does not fit the payload's schema, or whose schema cannot be
had): the dialog then stays open with the reason, the edit still in it.

A letter whose payload is undecoded (its schema could not be had; the view decodes it
first when the connection has the schema) has no payload to edit: the Payload tab says
why and what to do instead of offering ``null``, and only the headers can be edited.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetricsF, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.json_diff import (
    JsonInputError,
    describe_changes,
    edit_changes,
    parse_headers,
    parse_json,
    pretty_json,
    unified_json_diff,
)
from monitor.ui import theme
from monitor.ui.background import BackgroundTasks
from monitor.ui.json_highlight import DiffHighlighter, JsonHighlighter

MAX_CHANGES_LISTED = 8

# Stores an edited event: None when saved, else why not (the sentence to show).
SaveEdit = Callable[[Envelope], Coroutine[Any, Any, str | None]]


def json_editor(text: str = "", *, read_only: bool = False) -> QPlainTextEdit:
    """A monospace text pane with JSON colours and two-space tabs."""
    edit = QPlainTextEdit()
    edit.setFont(theme.monospace_font())
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    edit.setTabStopDistance(QFontMetricsF(edit.font()).horizontalAdvance(" ") * 2)
    edit.setReadOnly(read_only)
    edit.setPlainText(text)
    edit._highlighter = JsonHighlighter(edit.document())  # type: ignore[attr-defined]
    return edit


def _undecoded_notice(event: Envelope) -> str:
    reason = event.error or "its schema could not be had"
    return (
        f"The payload is undecoded: {reason}\n\n"
        "It can be edited once it is decoded: connect to the letter's cluster with a "
        "profile that has its schema registry (or a schema file for its topic), then "
        "open Edit again; the payload is decoded first.\n\n"
        "Meanwhile you can edit the headers, or replay the letter as it is."
    )


class DeadLetterEditDialog(QDialog):
    """Edit ``letter``'s payload (event ``data``) and headers; diff against ``original``
    (the event as it failed; default: the letter's stored event)."""

    def __init__(
        self,
        letter: DeadLetter,
        *,
        original: Envelope | None = None,
        parent: QWidget | None = None,
        save: SaveEdit | None = None,
    ) -> None:
        super().__init__(parent)
        self.letter = letter
        self.original = original if original is not None else letter.event
        self._edited: Envelope | None = None
        self._error = ""
        # Saving can be refused (an edit that does not fit the payload's schema): the
        # dialog stays open then, with the reason, so the edit is not lost.
        self._save = save
        self._saving = False
        self.tasks = BackgroundTasks(self)
        self.setWindowTitle("Edit dead letter before replay")
        self.setObjectName("deadLetterEditor")
        self.resize(1060, 640)

        event = letter.event
        title = QLabel(f"{event.type or '(no type)'}  \u2192  {letter.original_topic or '?'}")
        title.setObjectName("editorTitle")
        reason = QLabel(f"Failed in {letter.handler or 'a handler'}: {letter.reason}")
        reason.setObjectName("editorReason")
        reason.setWordWrap(True)
        reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.payload_edit = json_editor(pretty_json(event.data))
        self.headers_edit = json_editor(pretty_json(dict(event.headers)))
        self.tabs = QTabWidget()
        # An undecoded payload has no JSON to edit (its data is not null, it is bytes
        # whose schema could not be had): a notice takes the editor's place.
        self.payload_locked = event.undecoded
        self.payload_notice = QLabel(_undecoded_notice(event))
        self.payload_notice.setObjectName("editorNotice")
        self.payload_notice.setWordWrap(True)
        self.payload_notice.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.payload_notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.payload_notice.setMargin(12)
        if self.payload_locked:
            self.payload_edit.setReadOnly(True)
            self.tabs.addTab(self.payload_notice, "Payload (undecoded)")
        else:
            self.tabs.addTab(self.payload_edit, "Payload")
        self.tabs.addTab(self.headers_edit, "Headers")
        self.error_label = QLabel()
        self.error_label.setObjectName("editorError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tabs, 1)
        left_layout.addWidget(self.error_label)

        against = "the event as it failed" if original is not None else "the stored event"
        diff_title = QLabel(f"Changes against {against}")
        diff_title.setObjectName("sectionTitle")
        self.changes_label = QLabel()
        self.changes_label.setObjectName("editorChanges")
        self.changes_label.setWordWrap(True)
        self.changes_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.diff_view = QPlainTextEdit()
        self.diff_view.setReadOnly(True)
        self.diff_view.setFont(theme.monospace_font())
        self.diff_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff_view.setPlaceholderText("No changes yet: the event will be replayed as it is.")
        self._diff_highlighter = DiffHighlighter(self.diff_view.document())

        right = self.diff_pane = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(diff_title)
        right_layout.addWidget(self.changes_label)
        right_layout.addWidget(self.diff_view, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([540, 500])
        splitter.setChildrenCollapsible(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setToolTip(
            "Store the edited event; it is what the next replay of this letter sends"
        )
        self.revert_button = QPushButton("Revert to original")
        self.revert_button.setToolTip("Put the original payload and headers back in the editor")
        self.buttons.addButton(self.revert_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.revert_button.clicked.connect(self.revert)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        note = QLabel(
            "Saving changes only this dead letter's stored event; nothing is sent until you "
            "replay it."
        )
        note.setObjectName("sectionHint")
        bottom = QHBoxLayout()
        bottom.addWidget(note, 1)
        bottom.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(reason)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.setStyleSheet(
            f"QLabel#editorTitle {{ font-size: 12pt; font-weight: 600; }}"
            f"QLabel#editorReason {{ color: {theme.DANGER}; }}"
            f"QLabel#editorError {{ color: {theme.DANGER}; font-weight: 600; }}"
            f"QLabel#editorChanges {{ color: {theme.TEXT}; }}"
            f"QLabel#editorNotice {{ color: {theme.TEXT}; }}"
            f"QPushButton:disabled {{ color: {theme.MUTED_TEXT}; }}"
        )
        self.save_button.setDefault(True)

        self.payload_edit.textChanged.connect(self.validate)
        self.headers_edit.textChanged.connect(self.validate)
        self.validate()

    # -- state --------------------------------------------------------------------------

    def error(self) -> str:
        """Why the current text cannot be saved, or ``""``."""
        return self._error

    def edited_event(self) -> Envelope | None:
        """The letter's event with the edited payload and headers; None while invalid."""
        return self._edited

    def diff_text(self) -> str:
        return self.diff_view.toPlainText()

    def has_changes(self) -> bool:
        """Whether the edit differs from the letter's stored event."""
        e = self._edited
        return e is not None and (e.data, e.headers) != (
            self.letter.event.data,
            self.letter.event.headers,
        )

    # -- behaviour ----------------------------------------------------------------------

    def validate(self) -> bool:
        """Parse both editors, update the message, the diff and the Save button."""
        try:
            data = (
                self.letter.event.data
                if self.payload_locked
                else parse_json(self.payload_edit.toPlainText(), what="The payload")
            )
            headers = parse_headers(self.headers_edit.toPlainText())
        except JsonInputError as exc:
            self._edited = None
            self._error = str(exc)
            self.error_label.setText("\u26a0  " + self._error)
            self.error_label.show()
            self.save_button.setEnabled(False)
            self._mark_error_line(exc)
            self.diff_pane.setEnabled(False)
            self.changes_label.setText(
                "Fix the JSON to see the changes (below: the last valid edit)."
            )
            return False
        self._mark_error_line(None)
        self.diff_pane.setEnabled(True)
        edited = copy.deepcopy(self.letter.event)
        edited.data = data
        edited.headers = headers
        self._edited = edited
        self._error = ""
        self.error_label.hide()
        self._show_diff(data, headers)
        self.save_button.setEnabled(self.has_changes())
        return True

    def _mark_error_line(self, exc: JsonInputError | None) -> None:
        """Tint the line the parser stopped at (cleared with ``None``)."""
        for edit in (self.payload_edit, self.headers_edit):
            edit.setExtraSelections([])
        if exc is None or exc.line is None:
            return
        edit = self.headers_edit if str(exc).startswith("The headers") else self.payload_edit
        block = edit.document().findBlockByLineNumber(exc.line - 1)
        if not block.isValid():
            return
        selection = QTextEdit.ExtraSelection()
        selection.format.setBackground(
            QColor(theme.DANGER_BG if hasattr(theme, "DANGER_BG") else "#fdecea")
        )
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        cursor = QTextCursor(block)
        selection.cursor = cursor
        edit.setExtraSelections([selection])

    def _show_diff(self, data: Any, headers: dict[str, str]) -> None:
        parts = [
            unified_json_diff(self.original.data, data, name="payload"),
            unified_json_diff(dict(self.original.headers), headers, name="headers"),
        ]
        self.diff_view.setPlainText("\n\n".join(p for p in parts if p))
        changes = edit_changes(self.original, replace(self.original, data=data, headers=headers))
        if not changes:
            self.changes_label.setText("No changes: identical to the original.")
            return
        listed = [f"\u2022 {line}" for line in describe_changes(changes, MAX_CHANGES_LISTED)]
        noun = "change" if len(changes) == 1 else "changes"
        self.changes_label.setText(f"{len(changes)} {noun}:\n" + "\n".join(listed))

    def revert(self) -> None:
        self.payload_edit.setPlainText(pretty_json(self.original.data))
        self.headers_edit.setPlainText(pretty_json(dict(self.original.headers)))

    def accept(self) -> None:
        """Close with the edit, unless it is invalid or saving it is refused: then stay
        open and say why."""
        if self._saving:
            return
        if not self.validate():
            self.error_label.setFocus()
            return
        if self._save is None or self._edited is None:
            super().accept()
            return
        self._saving = True
        self.save_button.setEnabled(False)
        self.tasks.spawn(
            self._save(self._edited),
            done=self._saved,
            failed=lambda exc: self._saved(f"The edit was not saved: {exc}"),
        )

    def _saved(self, refusal: str | None) -> None:
        self._saving = False
        if refusal is None:
            super().accept()
            return
        self._error = refusal
        self.error_label.setText("\u26a0  " + refusal)
        self.error_label.show()
        self.save_button.setEnabled(self.has_changes())

"""The composer's schema row: encode the payload (and the key) with a registry subject's
schema instead of sending a CloudEvent.

Shown when the composer publishes to Kafka and the connected profile has a schema
registry. Both subjects are empty by default (a CloudEvent is sent, as without a
registry); a subject's version is ``latest`` unless a number is typed. The registry's
subjects fill the drop-downs once read (in a worker thread: the UI never waits for the
registry); a subject can be typed before that, or when the registry cannot list them.

A Protobuf schema may hold several messages (nested ones included); the view reads the
subject's messages the same way and :meth:`SchemaSubjects.set_messages` offers them in a
second row, shown only then. The first message is chosen by default, as the serializers'
default is: the composer does not guess the message from the payload's fields.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from adapters.schema_registry.subject_encoding import LATEST, SubjectChoice


def _subject_combo(placeholder: str) -> QComboBox:
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    # Long subject names must not widen the view (as the topic box).
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(14)
    edit = combo.lineEdit()
    if edit is not None:
        edit.setPlaceholderText(placeholder)
    return combo


def _message_combo(which: str) -> QComboBox:
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(14)
    combo.setToolTip(
        f"The {which} schema is Protobuf with several messages: the one to encode the "
        f"{which} as (the first unless another is chosen)"
    )
    return combo


def _version_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(LATEST)
    edit.setToolTip("The subject's version: a number, or empty for the latest")
    edit.setMaximumWidth(70)
    return edit


class SchemaSubjects(QWidget):
    """Value and key subjects, each with a version; :meth:`choices` reads them."""

    changed = Signal()  # anything in the row
    subject_changed = Signal()  # a subject or version: its messages are to be read again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.value_subject = _subject_combo("value subject: none (a CloudEvent)")
        self.value_subject.setToolTip(
            "Encode the payload with this registry subject's schema (Avro, Protobuf, JSON "
            "Schema) in Confluent framing, instead of sending a CloudEvent. A payload that "
            "does not fit is refused before anything is sent."
        )
        self.value_version = _version_edit()
        self.key_subject = _subject_combo("key subject: none (text)")
        self.key_subject.setToolTip(
            "Encode the key with this subject's schema: the key as JSON, or as a string "
            "when it is not JSON"
        )
        self.key_version = _version_edit()
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(4)
        row = QHBoxLayout()
        row.setSpacing(6)
        rows.addLayout(row)
        row.addWidget(QLabel("Value schema"))
        row.addWidget(self.value_subject, 3)
        row.addWidget(QLabel("version"))
        row.addWidget(self.value_version)
        row.addSpacing(10)
        row.addWidget(QLabel("Key schema"))
        row.addWidget(self.key_subject, 2)
        row.addWidget(QLabel("version"))
        row.addWidget(self.key_version)
        for combo in (self.value_subject, self.key_subject):
            combo.editTextChanged.connect(lambda _t: self._subject_changed())
        for edit in (self.value_version, self.key_version):
            edit.textChanged.connect(lambda _t: self._subject_changed())
        rows.addWidget(self._build_messages_row())

    def _build_messages_row(self) -> QWidget:
        self.messages_row = QWidget()
        row = QHBoxLayout(self.messages_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.value_message = _message_combo("value")
        self.key_message = _message_combo("key")
        self.value_message_label = QLabel("Value message")
        self.key_message_label = QLabel("Key message")
        row.addWidget(self.value_message_label)
        row.addWidget(self.value_message, 3)
        row.addSpacing(10)
        row.addWidget(self.key_message_label)
        row.addWidget(self.key_message, 2)
        # The room of a key message when it has none: not the value's box to fill.
        row.addStretch(0)
        self._messages_layout = row
        for combo in (self.value_message, self.key_message):
            combo.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self._messages: dict[bool, tuple[SubjectChoice | None, list[str]]] = {}
        self._show_messages()
        return self.messages_row

    def _subject_changed(self) -> None:
        # The messages were those of the subject as it was: unknown until read again.
        self._messages.clear()
        self._show_messages()
        self.subject_changed.emit()
        self.changed.emit()

    def set_messages(self, choice: SubjectChoice, names: list[str], *, is_key: bool) -> None:
        """The messages of ``choice``'s schema (empty unless Protobuf); offered when there
        are several and ``choice`` is still what the row says (an answer for a subject
        since changed is dropped)."""
        try:
            value, key = self.choices()
        except ValueError:
            return
        current = key if is_key else value
        if current is None or (current.subject, current.version) != (
            choice.subject,
            choice.version,
        ):
            return
        self._messages[is_key] = (choice, names)
        combo = self.key_message if is_key else self.value_message
        kept = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(names)
        # The first message unless one was chosen: the serializers' default.
        combo.setCurrentIndex(max(names.index(kept) if kept in names else 0, 0))
        combo.blockSignals(False)
        self._show_messages()
        self.changed.emit()

    def _show_messages(self) -> None:
        shown = False
        for is_key, combo, label in (
            (False, self.value_message, self.value_message_label),
            (True, self.key_message, self.key_message_label),
        ):
            several = len(self._messages.get(is_key, (None, []))[1]) > 1
            combo.setVisible(several)
            label.setVisible(several)
            shown = shown or several
        last = self._messages_layout.count() - 1
        self._messages_layout.setStretch(last, 0 if not self.key_message.isHidden() else 2)
        self.messages_row.setVisible(shown)

    def set_subjects(self, subjects: list[str]) -> None:
        """Offer ``subjects`` in both drop-downs, keeping what is typed."""
        for combo in (self.value_subject, self.key_subject):
            typed = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(subjects)
            combo.setEditText(typed)
            combo.blockSignals(False)

    def in_use(self) -> bool:
        """Whether a subject is given: the composer then sends a schema-encoded record."""
        return any(c.currentText().strip() for c in (self.value_subject, self.key_subject))

    def choices(self) -> tuple[SubjectChoice | None, SubjectChoice | None]:
        """``(value subject, key subject)``, ``None`` where none is given. Raises
        ValueError for a version that is not a number or ``latest``, or a key subject
        without a value subject."""
        value = self._choice(self.value_subject, self.value_version, self.value_message)
        key = self._choice(self.key_subject, self.key_version, self.key_message)
        if key is not None and value is None:
            raise ValueError("A key schema goes with a value schema: give the value's subject too.")
        return value, key

    @staticmethod
    def _choice(combo: QComboBox, version: QLineEdit, message: QComboBox) -> SubjectChoice | None:
        subject = combo.currentText().strip()
        if not subject:
            return None
        # Only a message offered for this very subject (the box is hidden otherwise).
        # The first is the default (None): a payload that fits another is then told which.
        chosen = (
            message.currentText() if not message.isHidden() and message.currentIndex() > 0 else None
        )
        try:
            return SubjectChoice.parse(subject, version.text(), chosen)
        except ValueError as exc:
            raise ValueError(f"{exc}.") from None

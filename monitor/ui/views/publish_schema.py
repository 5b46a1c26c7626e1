"""The composer's schema row: encode the payload (and the key) with a registry subject's
schema instead of sending a CloudEvent.

Shown when the composer publishes to Kafka and the connected profile has a schema
registry. Both subjects are empty by default (a CloudEvent is sent, as without a
registry); a subject's version is ``latest`` unless a number is typed. The registry's
subjects fill the drop-downs once read (in a worker thread: the UI never waits for the
registry); a subject can be typed before that, or when the registry cannot list them.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

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


def _version_edit() -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(LATEST)
    edit.setToolTip("The subject's version: a number, or empty for the latest")
    edit.setMaximumWidth(70)
    return edit


class SchemaSubjects(QWidget):
    """Value and key subjects, each with a version; :meth:`choices` reads them."""

    changed = Signal()

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
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
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
            combo.editTextChanged.connect(lambda _t: self.changed.emit())
        for edit in (self.value_version, self.key_version):
            edit.textChanged.connect(lambda _t: self.changed.emit())

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
        value = self._choice(self.value_subject, self.value_version)
        key = self._choice(self.key_subject, self.key_version)
        if key is not None and value is None:
            raise ValueError("A key schema goes with a value schema: give the value's subject too.")
        return value, key

    @staticmethod
    def _choice(combo: QComboBox, version: QLineEdit) -> SubjectChoice | None:
        subject = combo.currentText().strip()
        if not subject:
            return None
        try:
            return SubjectChoice.parse(subject, version.text())
        except ValueError as exc:
            raise ValueError(f"{exc}.") from None

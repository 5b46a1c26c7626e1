"""Where a tail started from the Connections view begins: the end, the beginning, an offset,
a time, or a time ago, as ``eventflow kafka tail --from`` takes them.

The text is read by the command line's own parser (:meth:`StartPosition.parse`), so the
window and the command line agree on what ``1200``, ``-15m`` or ``2026-11-26T10:00:00Z``
mean; this widget only says which kind the user meant, and refuses an entry of another
kind (``-15m`` typed as an offset) with the reason.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from adapters.kafka.tail import StartPosition

# (label, kind, placeholder, example for the refusal)
KINDS = (
    ("the end (new records)", "end", "", ""),
    ("the beginning", "beginning", "", ""),
    ("where the log left off", "logged", "", ""),
    ("an offset", "offset", "e.g. 1200", "1200"),
    ("a time", "time", "e.g. 2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z"),
    ("a time ago", "ago", "e.g. 15m, 2h, 30s, 1d", "15m"),
)


_NO_VALUE = ("end", "beginning", "logged")  # the kinds that take no value typed


class TailFromPicker(QWidget):
    """A choice of kind and, for an offset or a time, the value.

    :meth:`position` returns the :class:`StartPosition` or raises ``ValueError`` with a
    sentence saying what is wrong and what would be right.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        for text, kind, _placeholder, _example in KINDS:
            self.combo.addItem(text, kind)
        self.value_edit = QLineEdit()
        self.value_edit.setClearButtonEnabled(True)
        self.value_edit.setMinimumWidth(120)
        self.value_edit.setMaximumWidth(260)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(QLabel("Tail from"))
        row.addWidget(self.combo)
        row.addWidget(self.value_edit, 1)
        row.addStretch(1)  # the choice stays beside its label when the field is hidden
        self.combo.currentIndexChanged.connect(self._kind_changed)
        self.value_edit.textChanged.connect(lambda _text: self.changed.emit())
        self._kind_changed()

    def kind(self) -> str:
        return str(self.combo.currentData())

    def set_kind(self, kind: str, value: str = "") -> None:
        """Choose ``kind`` (``end``, ``beginning``, ``offset``, ``time``, ``ago``) and type
        ``value`` into the field, as a user would."""
        index = self.combo.findData(kind)
        if index < 0:
            raise ValueError(f"unknown start kind {kind!r}")
        self.combo.setCurrentIndex(index)
        self.value_edit.setText(value)

    def position(self) -> StartPosition:
        kind, text = self.kind(), self.value_edit.text().strip()
        if kind in _NO_VALUE:
            return StartPosition(kind)
        if not text:
            raise ValueError(f"Type {self._what(kind)} to tail from, such as {_example(kind)}.")
        if kind == "ago" and not text.startswith("-"):
            text = "-" + text  # "15m ago" is typed as 15m; the parser takes -15m
        try:
            position = StartPosition.parse(text)
        except ValueError:
            position = None
        wanted = "offset" if kind == "offset" else "timestamp"
        ago_form = kind != "ago" or _is_time_ago(text)
        if position is None or position.kind != wanted or not ago_form:
            raise ValueError(
                f"{self.value_edit.text().strip()!r} is not {self._what(kind)}: "
                f"use {_form(kind)}, such as {_example(kind)}."
            )
        return position

    def describe(self) -> str:
        """The choice in words, for the tail's status line."""
        kind, text = self.kind(), self.value_edit.text().strip()
        if kind == "logged":
            return "where the log left off"
        if kind in _NO_VALUE:
            return f"the {kind}"
        if kind == "ago":
            return f"{text.lstrip('-')} ago"
        return f"{'offset ' if kind == 'offset' else ''}{text}"

    def _kind_changed(self, *_: object) -> None:
        kind = self.kind()
        placeholder = next(p for _t, k, p, _e in KINDS if k == kind)
        self.value_edit.setPlaceholderText(placeholder)
        self.value_edit.setVisible(kind not in _NO_VALUE)
        self.changed.emit()

    @staticmethod
    def _what(kind: str) -> str:
        return {"offset": "an offset", "time": "a time", "ago": "a time ago"}[kind]


def _form(kind: str) -> str:
    return {
        "offset": "a whole number of 0 or more",
        "time": "a date and time (ISO 8601, UTC with Z or with an offset)",
        "ago": "a number and a unit (s, m, h or d)",
    }[kind]


def _example(kind: str) -> str:
    return next(e for _t, k, _p, e in KINDS if k == kind)


def _is_time_ago(text: str) -> bool:
    """``-15m`` and the like: a time ago, not an ISO time that happens to parse."""
    return (
        text.startswith("-")
        and text[-1:].lower() in ("s", "m", "h", "d")
        and text[1:-1].replace(".", "").isdigit()
    )

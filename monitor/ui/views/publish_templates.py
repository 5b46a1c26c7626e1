"""The template bar of the Publish view: choose a template, load it, save the composed
event as one of your own.

Shipped templates (the demo flow's events) and the user's own come from a
:class:`~monitor.core.templates.TemplateStore`; the user's are marked "(yours)". The bar
does not know what the composer holds: saving asks ``compose(name)`` for it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from monitor.core.templates import EventTemplate, TemplateError, TemplateStore
from monitor.ui.elided_label import ElidedLabel

Compose = Callable[[str], EventTemplate]  # template name -> the composer's content


class TemplateBar(QWidget):
    chosen = Signal(object)  # the EventTemplate to fill the composer with
    message = Signal(str, str)  # (sentence, tone: ok | error | muted)

    def __init__(
        self, store: TemplateStore, compose: Compose, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.compose = compose
        title = QLabel("Template")
        title.setObjectName("cardTitle")
        self.combo = QComboBox()
        # As wide as about 22 characters, whatever the names: a long template name of the
        # user's must not widen the view (the list that drops down shows it whole).
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(22)
        self.combo.setToolTip(
            "Shipped templates cover the demo shop's events; yours are saved in the config folder"
        )
        self.combo.currentIndexChanged.connect(self._selected)
        self.load_button = QPushButton("Load")
        self.load_button.setToolTip("Fill the composer from the chosen template")
        self.load_button.clicked.connect(self.load_selected)
        self.save_button = QPushButton("Save as template...")
        self.save_button.setToolTip("Keep the composed event as a template of yours")
        self.save_button.clicked.connect(self.save)
        self.description = ElidedLabel("")  # one line, the whole text in its tooltip
        self.description.setObjectName("muted")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        row.addWidget(title)
        row.addWidget(self.combo)
        row.addWidget(self.load_button)
        row.addWidget(self.save_button)
        row.addWidget(self.description, 1)

    def reload(self, select: str | None = None) -> None:
        """Read the templates again and select ``select`` (a name) when it is there."""
        current = select or self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        for template in self.store.templates():
            label = template.name + ("" if template.shipped else "  (yours)")
            self.combo.addItem(label, template.name)
            self.combo.setItemData(
                self.combo.count() - 1, template.description, Qt.ItemDataRole.ToolTipRole
            )
        index = self.combo.findData(current) if current is not None else -1
        if index >= 0:
            self.combo.setCurrentIndex(index)
        self.combo.blockSignals(False)
        self._selected()
        if self.store.problems:
            self.message.emit(
                "Some templates were skipped: " + " ".join(self.store.problems), "error"
            )

    def _selected(self, *_: object) -> None:
        name = self.combo.currentData()
        self.load_button.setEnabled(name is not None)
        tip = self.combo.itemData(self.combo.currentIndex(), Qt.ItemDataRole.ToolTipRole)
        self.description.setText(str(tip or "") if name is not None else "")

    def load_selected(self) -> None:
        name = self.combo.currentData()
        if name is None:
            return
        try:
            template = self.store.get(str(name))
        except TemplateError as exc:
            self.message.emit(str(exc), "error")
            return
        self.chosen.emit(template)
        self.message.emit(f"Loaded template {template.name}.", "muted")

    def save(self) -> None:
        """Ask for a name, then save what the composer holds under it."""
        suggestion = str(self.combo.currentData() or "")
        name, ok = QInputDialog.getText(
            self, "Save as template", "Template name:", QLineEdit.EchoMode.Normal, suggestion
        )
        name = name.strip()
        if not ok or not name:
            return
        try:
            path = self.store.save(self.compose(name))
        except (TemplateError, ValueError) as exc:
            self.message.emit(f"The template was not saved: {exc}", "error")
            return
        self.reload(select=name)
        self.message.emit(f"Saved template {name} in {path}.", "ok")

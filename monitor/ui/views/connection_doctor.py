"""The connection doctor's steps in the Connections view: one row per step, as it runs.

Each row is the step's name and detail (elided to the list's width; the whole detail and,
on a failing step, the likely cause and fix are in its tooltip) with a green or red dot.
The view shows it in a card above the cluster's tables.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QWidget,
)

from adapters.kafka.doctor import Step
from monitor.ui import theme
from monitor.ui.dots import dot_icon

MAX_ROWS = 7  # dns, tcp, tls, auth, metadata, brokers, schema_registry


class DoctorSteps(QListWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("doctorSteps")
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setUniformItemSizes(True)
        row = self.fontMetrics().height() + 6
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(row + 6)

    def start(self) -> None:
        """A new test: no rows yet."""
        self.clear()

    def add_step(self, step: Step) -> None:
        text = f"{step.label}: {step.detail}"
        item = QListWidgetItem(dot_icon(theme.LIVE if step.ok else theme.DANGER), text)
        tip = text if step.fix is None else f"{text}\n\nLikely cause and fix: {step.fix}"
        item.setToolTip(tip)
        item.setData(Qt.ItemDataRole.UserRole, step.ok)
        self.addItem(item)
        # As tall as its rows, so the tables below keep the rest.
        self.setFixedHeight(self.sizeHintForRow(0) * min(self.count(), MAX_ROWS) + 6)

    def steps(self) -> list[tuple[str, bool]]:
        """(step, ok) per row, in order: what the rows show."""
        out = []
        for i in range(self.count()):
            item = self.item(i)
            out.append((item.text().split(":", 1)[0], bool(item.data(Qt.ItemDataRole.UserRole))))
        return out

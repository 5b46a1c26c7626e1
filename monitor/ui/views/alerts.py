"""The Alerts view: what the rules raised, and the rules themselves.

Above, the alerts, newest first: time, rule, value, what happened, and a button that
opens the view the alert is about (the dead letters, the topic's events, the groups).
Selected alerts, or all of them, can be acknowledged; an acknowledged alert stays listed,
greyed. Below, the rules: each can be switched off, and its threshold, duration and quiet
period edited in place; a value that is not a number is refused with the reason and the
rule keeps its old value.

The view reads through the :class:`~monitor.ui.history_service.HistoryService` (a worker
thread reads the log) and reloads when an alert is raised or acknowledged.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.core.alerts import Alert, AlertRule, with_changes
from monitor.ui.background import BackgroundTasks
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.history_service import HistoryService
from monitor.ui.table_setup import set_up_table
from monitor.ui.views.alert_model import MESSAGE, OPEN, RULE, AlertTableModel, open_label

SHOWN = 200  # alerts listed; older ones stay in the log (eventflow alerts list)

RULE_COLUMNS = ("On", "Rule", "Condition", "Threshold", "For (s)", "Quiet period (s)")
R_ON, R_NAME, R_CONDITION, R_THRESHOLD, R_DURATION, R_QUIET = range(len(RULE_COLUMNS))
_EDITABLE = {R_THRESHOLD: "threshold", R_DURATION: "duration", R_QUIET: "quiet_period"}


class AlertsView(QWidget):
    """``open_requested(kind, name)``: show what an alert is about (``dead_letters``,
    ``topic`` or ``group``; ``name`` empty for all of them)."""

    open_requested = Signal(str, str)
    waiting_changed = Signal(int)  # alerts listed and not acknowledged, after each reload

    def __init__(self, history: HistoryService, parent: Any = None) -> None:
        super().__init__(parent)
        self.history = history
        self.tasks = BackgroundTasks(self)
        self.model = AlertTableModel(self)
        self._loading = False
        self._reload_again = False
        self._filling_rules = False

        self.summary = ElidedLabel("No alerts yet.")
        self.summary.setObjectName("sectionTitle")
        self.acknowledge_button = QPushButton("Acknowledge selected")
        self.acknowledge_button.clicked.connect(self.acknowledge_selected)
        self.acknowledge_all_button = QPushButton("Acknowledge all")
        self.acknowledge_all_button.clicked.connect(self.acknowledge_all)
        header = QHBoxLayout()
        header.addWidget(self.summary, 1)
        header.addWidget(self.acknowledge_button)
        header.addWidget(self.acknowledge_all_button)

        self.table = QTableView()
        self.table.setModel(self.model)
        set_up_table(self.table, stretch_last=False)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(RULE, QHeaderView.ResizeMode.Interactive)
        head.setSectionResizeMode(MESSAGE, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(RULE, 180)  # the default rules' names, in bold
        self.table.doubleClicked.connect(lambda index: self.open_alert(index.row()))
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)

        self.rules_table = QTableWidget(0, len(RULE_COLUMNS))
        self.rules_table.setHorizontalHeaderLabels(RULE_COLUMNS)
        set_up_table(
            self.rules_table,
            edit_triggers=QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed,
            stretch_last=False,
        )
        self.rules_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        rules_head = self.rules_table.horizontalHeader()
        rules_head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        rules_head.setSectionResizeMode(R_CONDITION, QHeaderView.ResizeMode.Stretch)
        self.rules_table.itemChanged.connect(self._rule_edited)
        self.rule_note = ElidedLabel("")
        self.rule_note.setObjectName("sectionHint")

        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addLayout(header)
        upper_layout.addWidget(self.table, 1)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        caption = QLabel("Rules (edit a threshold, a duration or the quiet period in place)")
        caption.setObjectName("sectionTitle")
        lower_layout.addWidget(caption)
        lower_layout.addWidget(self.rules_table, 1)
        lower_layout.addWidget(self.rule_note)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(upper)
        splitter.addWidget(lower)
        splitter.setSizes([380, 240])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.addWidget(splitter)

        history.alerts_changed.connect(self.reload)
        self.show_rules(history.rules())
        self._update_buttons()
        self.reload()

    # -- the alert list -----------------------------------------------------------------

    def reload(self) -> None:
        """Read the alerts again (in a worker thread); a reload asked for while one runs
        runs once more after it."""
        if self._loading:
            self._reload_again = True
            return
        self._loading = True
        self.tasks.spawn(self.history.alerts(SHOWN), done=self._loaded, failed=self._failed)

    def _loaded(self, alerts: list[Alert]) -> None:
        self._loading = False
        self.show_alerts(alerts)
        if self._reload_again:
            self._reload_again = False
            self.reload()

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        self.summary.setText(f"The alerts could not be read: {exc}")

    def show_alerts(self, alerts: list[Alert]) -> None:
        self.model.set_alerts(alerts)
        for row, alert in enumerate(alerts):
            button = QPushButton(open_label(alert))
            button.setObjectName("openAlertTarget")
            button.setToolTip(f"Show what this alert is about ({alert.series})")
            button.clicked.connect(lambda _=False, r=row: self.open_alert(r))
            self.table.setIndexWidget(self.model.index(row, OPEN), button)
        waiting = sum(1 for a in alerts if not a.acknowledged)
        if not alerts:
            text = (
                "No alerts yet."
                if self.history.keeps_history
                else "No event log: alerts are not kept."
            )
        else:
            text = f"{len(alerts)} alert{'' if len(alerts) == 1 else 's'}, {waiting} to acknowledge"
        self.summary.setText(text)
        self._update_buttons()
        self.waiting_changed.emit(waiting)

    @property
    def waiting(self) -> int:
        """Alerts listed and not acknowledged."""
        return sum(1 for a in self.model.alerts if not a.acknowledged)

    def open_alert(self, row: int) -> None:
        if 0 <= row < len(self.model.alerts):
            alert = self.model.alert(row)
            self.open_requested.emit(alert.target_kind or "", alert.target or "")

    def _selected_ids(self) -> list[int]:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        return [a.id for r in sorted(rows) if (a := self.model.alert(r)).id is not None]

    def acknowledge_selected(self) -> None:
        ids = self._selected_ids()
        if ids:
            self.tasks.spawn(self.history.acknowledge(ids))

    def acknowledge_all(self) -> None:
        ids = [a.id for a in self.model.alerts if a.id is not None and not a.acknowledged]
        if ids:
            self.tasks.spawn(self.history.acknowledge(ids))

    def _update_buttons(self, *_args: Any) -> None:
        self.acknowledge_button.setEnabled(bool(self.table.selectionModel().selectedRows()))
        self.acknowledge_all_button.setEnabled(self.waiting > 0)

    # -- the rules ----------------------------------------------------------------------

    def show_rules(self, rules: list[AlertRule]) -> None:
        self._filling_rules = True
        try:
            table = self.rules_table
            table.setRowCount(len(rules))
            for row, rule in enumerate(rules):
                on = QTableWidgetItem()
                on.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
                on.setCheckState(Qt.CheckState.Checked if rule.enabled else Qt.CheckState.Unchecked)
                on.setData(Qt.ItemDataRole.UserRole, rule.name)
                table.setItem(row, R_ON, on)
                for column, text in (
                    (R_NAME, rule.name),
                    (R_CONDITION, rule.describe()),
                    (R_THRESHOLD, _plain(rule.threshold)),
                    (R_DURATION, _plain(rule.duration)),
                    (R_QUIET, _plain(rule.quiet_period)),
                ):
                    item = QTableWidgetItem(text)
                    item.setToolTip(text)
                    if column not in _EDITABLE:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    table.setItem(row, column, item)
        finally:
            self._filling_rules = False

    def _rule_edited(self, item: QTableWidgetItem) -> None:
        if self._filling_rules:
            return
        row = item.row()
        name_item = self.rules_table.item(row, R_ON)
        if name_item is None:
            return
        name = str(name_item.data(Qt.ItemDataRole.UserRole))
        rule = next((r for r in self.history.rules() if r.name == name), None)
        if rule is None:
            return
        column = item.column()
        if column == R_ON:
            changed = with_changes(rule, enabled=item.checkState() == Qt.CheckState.Checked)
        elif column in _EDITABLE:
            field = _EDITABLE[column]
            try:
                value = float(item.text().strip())
                if not math.isfinite(value) or value < 0:
                    raise ValueError
            except ValueError:
                self.rule_note.setText(
                    f"{item.text()!r} is not a number of 0 or more: {name} keeps "
                    f"{_plain(getattr(rule, field))}."
                )
                self.show_rules(self.history.rules())
                return
            changed = with_changes(rule, **{field: value})
        else:
            return
        self.rule_note.setText(f"Saved: {changed.describe()}.")
        self.tasks.spawn(self.history.save_rule(changed), done=lambda _: self._rules_saved())

    def _rules_saved(self) -> None:
        self.show_rules(self.history.rules())


def _plain(value: float) -> str:
    return f"{value:g}"

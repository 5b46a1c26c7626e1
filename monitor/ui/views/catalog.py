"""The Catalog view: the event types learnt from traffic, each with its findings, a page
per type, and the design review's findings with their evidence.

Tab "Event types": the types (events, topics, a badge of their findings) beside the
selected type's page: producers -> topics -> consumers as a small graph, then its schema,
versions, drift timeline, examples and findings. Tab "Findings": every finding, worst
first, with its evidence; opening one shows the evidence where it lives (the example
event's chain, the dead letter, or the topic's events).

The catalog is the runtime's own (:class:`~monitor.core.catalog.watch.CatalogWatch`),
read on the event loop; what the review needs from the log (old pending dead letters,
the handlers' processed marks) is read in a worker thread. The view refreshes every two
seconds while it is on screen.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.core.catalog.catalog import Catalog
from monitor.core.catalog.entry import EventTypeEntry
from monitor.core.design_review.finding import Finding, ReviewContext
from monitor.core.design_review.review import log_context, review
from monitor.core.envelope import format_time
from monitor.ui.background import BackgroundTasks
from monitor.ui.context import AppContext
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.theme import monospace_font
from monitor.ui.views.catalog_flow import FlowDiagram
from monitor.ui.views.catalog_models import FindingTableModel, TypeTableModel, type_rows

REFRESH_MS = 2000
TYPES_TAB, FINDINGS_TAB = 0, 1


def _table(headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)  # a cell elided by its column shows the whole text
            table.setItem(r, c, item)
    # Columns as wide as their text (the last one takes what is left), none wider than
    # a third of the table: a long value is elided, whole in its tooltip.
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    for c in range(table.columnCount() - 1):
        header.resizeSection(c, min(header.sectionSize(c), max(80, table.width() // 3)))


def _view(model: Any) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setStretchLastSection(True)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    return view


class CatalogView(QWidget):
    """``chain_requested(id)``, ``dead_letter_requested(id)``, ``topic_requested(topic)``:
    where a finding's evidence is opened."""

    chain_requested = Signal(str)
    dead_letter_requested = Signal(str)
    topic_requested = Signal(str)
    reviewed = Signal()  # after each refresh has its findings (tests wait for it)

    def __init__(self, context: AppContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = BackgroundTasks(self)
        self.findings: list[Finding] = []
        self.selected_type: str | None = None
        self._reviewing = False
        self._on_screen = False
        self.type_model = TypeTableModel(self)
        self.finding_model = FindingTableModel(self)
        self.type_finding_model = FindingTableModel(self)

        self.summary = ElidedLabel("No events seen yet.")
        self.tabs = QTabWidget()
        self.tabs.addTab(self._types_tab(), "Event types")
        self.tabs.addTab(self._findings_tab(), "Findings")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.summary)
        layout.addWidget(self.tabs, 1)

        self._refresh = context.feed.every(REFRESH_MS, self.refresh, self)

    @property
    def catalog(self) -> Catalog:
        return self.context.runtime.catalog.catalog

    # -- building ---------------------------------------------------------------------

    def _types_tab(self) -> QWidget:
        self.type_table = _view(self.type_model)
        self.type_table.selectionModel().currentRowChanged.connect(self._type_chosen)
        header = self.type_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.resizeSection(TypeTableModel.TYPE, 160)
        header.resizeSection(TypeTableModel.FINDINGS, 115)
        header.resizeSection(TypeTableModel.COUNT, 60)
        # The topics take what is left: the table never scrolls sideways.
        header.setSectionResizeMode(TypeTableModel.TOPICS, QHeaderView.ResizeMode.Stretch)
        self.type_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        page = QWidget()
        self.type_title = ElidedLabel("")
        font = self.type_title.font()
        font.setBold(True)
        self.type_title.setFont(font)
        self.type_stats = ElidedLabel("Choose an event type.")
        self.flow = FlowDiagram()
        self.schema_table = _table(("Field", "Type", "Required", "Example"))
        self.versions_table = _table(("Version", "Events"))
        self.drift_table = _table(("When", "Change", "Field", "Event"))
        self.drift_table.cellDoubleClicked.connect(self._drift_opened)
        self.examples = QPlainTextEdit()
        self.examples.setReadOnly(True)
        self.examples.setFont(monospace_font())
        self.type_findings = _view(self.type_finding_model)
        self.type_findings.doubleClicked.connect(
            lambda index: self.open_evidence(self.type_finding_model.finding(index.row()))
        )
        self.page_tabs = QTabWidget()
        for widget, title in (
            (self.schema_table, "Schema"),
            (self.versions_table, "Versions"),
            (self.drift_table, "Drift"),
            (self.examples, "Examples"),
            (self.type_findings, "Findings"),
        ):
            self.page_tabs.addTab(widget, title)
        box = QVBoxLayout(page)
        box.setContentsMargins(6, 0, 0, 0)
        box.addWidget(self.type_title)
        box.addWidget(self.type_stats)
        box.addWidget(self.flow)
        box.addWidget(self.page_tabs, 1)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.type_table)
        split.addWidget(page)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([450, 550])
        split.setChildrenCollapsible(False)
        return split

    def _findings_tab(self) -> QWidget:
        self.finding_table = _view(self.finding_model)
        header = self.finding_table.horizontalHeader()
        for col, width in ((0, 70), (1, 150), (2, 150), (3, 130)):
            header.resizeSection(col, width)
        self.finding_table.doubleClicked.connect(
            lambda index: self.open_evidence(self.finding_model.finding(index.row()))
        )
        self.finding_table.selectionModel().currentRowChanged.connect(self._finding_chosen)
        self.evidence = QPlainTextEdit()
        self.evidence.setReadOnly(True)
        self.evidence.setFont(monospace_font())
        self.evidence.setPlaceholderText("Choose a finding to see its evidence.")
        self.open_chain_button = QPushButton("Open the example's chain")
        self.open_letter_button = QPushButton("Open the dead letter")
        self.open_topic_button = QPushButton("Show the topic's events")
        self.open_chain_button.clicked.connect(lambda: self._open_selected("chain"))
        self.open_letter_button.clicked.connect(lambda: self._open_selected("dead_letter"))
        self.open_topic_button.clicked.connect(lambda: self._open_selected("topic"))
        buttons = QHBoxLayout()
        for b in (self.open_chain_button, self.open_letter_button, self.open_topic_button):
            b.setEnabled(False)
            buttons.addWidget(b)
        buttons.addStretch(1)
        lower = QWidget()
        lower_box = QVBoxLayout(lower)
        lower_box.setContentsMargins(0, 0, 0, 0)
        lower_box.addLayout(buttons)
        lower_box.addWidget(self.evidence, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.finding_table)
        split.addWidget(lower)
        split.setSizes([320, 200])
        split.setChildrenCollapsible(False)
        return split

    # -- refreshing -------------------------------------------------------------------

    def set_on_screen(self, on_screen: bool) -> None:
        """Refresh every two seconds while the view can be seen, and once when shown."""
        was, self._on_screen = self._on_screen, on_screen
        if on_screen:
            self._refresh.start()
            if not was:
                self.refresh()
        else:
            self._refresh.stop()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Show the catalog now and review it (the log's part read in a worker thread)."""
        if self._reviewing:
            return
        catalog = self.catalog
        path = self.context.runtime.db_path
        self._reviewing = True
        if path is None:
            self._show(review(ReviewContext(catalog)))
            return
        self.tasks.spawn(
            asyncio.to_thread(log_context, path, catalog),
            done=lambda context: self._show(review(context)),
            failed=lambda exc: self._show(review(ReviewContext(catalog)), problem=str(exc)),
        )

    def _show(self, findings: list[Finding], problem: str | None = None) -> None:
        self._reviewing = False
        self.findings = findings
        catalog = self.catalog
        entries = catalog.types()
        self.type_model.set_rows(type_rows(entries, findings))
        self.finding_model.set_findings(findings)
        counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning")}
        text = (
            f"{len(entries)} event types, {catalog.total:,} events seen; "
            f"{len(findings)} findings ({counts['error']} errors, {counts['warning']} warnings)"
            if entries
            else "No events seen yet."
        )
        if problem:
            text += f"; the log could not be read for the review ({problem})"
        self.summary.setText(text)
        self.tabs.setTabText(FINDINGS_TAB, f"Findings ({len(findings)})")
        if self.selected_type is None and entries:
            self.select_type(entries[0].type)
        elif self.selected_type is not None:
            self.select_type(self.selected_type)
        self.reviewed.emit()

    # -- a type's page ----------------------------------------------------------------

    def select_type(self, type_: str) -> bool:
        """Show ``type_``'s page (and select its row); False when it is not catalogued."""
        row = self.type_model.row_of(type_)
        if row is None:
            return False
        index = self.type_model.index(row, 0)
        if self.type_table.currentIndex().row() != row:
            self.type_table.selectionModel().setCurrentIndex(
                index,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._show_type(type_)
        return True

    def _type_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self._show_type(self.type_model.rows[current.row()].type)

    def _show_type(self, type_: str) -> None:
        self.selected_type = type_
        entry = self.catalog.entries.get(type_)
        if entry is None:
            return
        self.type_title.setText(entry.type)
        rate = entry.rate(self.catalog.clock(), self.catalog.watching_since)
        self.type_stats.setText(
            f"{entry.count:,} events, {rate:.1f}/s; "
            f"first {format_time(entry.first_seen)}, last {format_time(entry.last_seen)}"
        )
        self.flow.set_flow(sorted(entry.producers), sorted(entry.topics), sorted(entry.consumers))
        self._fill_schema(entry)
        _fill(
            self.versions_table,
            [(v or "(none stated)", f"{n:,}") for v, n in sorted(entry.versions.items())],
        )
        _fill(
            self.drift_table,
            [
                (
                    format_time(d["at"]) or "",
                    d["change"]
                    + (f" {d['from']} -> {d['to']}" if d["change"] == "changed" else ""),
                    str(d["field"]),
                    str(d["event_id"]),
                )
                for d in reversed(entry.drift)
            ],
        )
        self.page_tabs.setTabText(2, f"Drift ({len(entry.drift)})" if entry.drift else "Drift")
        examples = {"newest": entry.newest_example(), "largest": entry.largest_example()}
        text = json.dumps(examples, indent=2, ensure_ascii=False, default=str)
        if text != self.examples.toPlainText():
            self.examples.setPlainText(text)
        mine = [f for f in self.findings if f.event_type == type_]
        self.type_finding_model.set_findings(mine)
        self.page_tabs.setTabText(4, f"Findings ({len(mine)})" if mine else "Findings")

    def _fill_schema(self, entry: EventTypeEntry) -> None:
        schema = entry.schema()
        required = set(schema.get("required", []))
        rows = []
        for name, prop in (schema.get("properties") or {}).items():
            t = prop.get("type")
            example = json.dumps(prop["examples"][0], default=str) if prop.get("examples") else ""
            rows.append(
                (name, " or ".join(t) if isinstance(t, list) else str(t),
                 "yes" if name in required else "no", example)
            )  # fmt: skip
        if not rows:
            rows.append(("(the payload)", str(schema.get("type")), "yes", ""))
        _fill(self.schema_table, rows)

    def _drift_opened(self, row: int, _column: int) -> None:
        item = self.drift_table.item(row, 3)
        if item is not None and item.text():
            self.chain_requested.emit(item.text())

    # -- findings and their evidence ----------------------------------------------------

    def selected_finding(self) -> Finding | None:
        index = self.finding_table.currentIndex()
        return self.finding_model.finding(index.row()) if index.isValid() else None

    def _finding_chosen(self, current: QModelIndex, _previous: QModelIndex) -> None:
        finding = self.finding_model.finding(current.row()) if current.isValid() else None
        self.evidence.setPlainText(
            "" if finding is None else finding.message + "\n\n"
            + json.dumps(finding.evidence, indent=2, ensure_ascii=False, default=str)
        )  # fmt: skip
        self.open_chain_button.setEnabled(bool(finding and finding.example_event_ids()))
        self.open_letter_button.setEnabled(bool(finding and _letter_ids(finding)))
        self.open_topic_button.setEnabled(bool(finding and finding.topic))

    def _open_selected(self, where: str) -> None:
        finding = self.selected_finding()
        if finding is not None:
            self.open_evidence(finding, where)

    def open_evidence(self, finding: Finding, where: str | None = None) -> None:
        """Show the finding's evidence: an example event's chain, a dead letter, or the
        topic's events (``where`` picks one; by default the first the finding has)."""
        ids, letters = finding.example_event_ids(), _letter_ids(finding)
        if where in (None, "chain") and ids:
            self.chain_requested.emit(ids[0])
        elif where in (None, "dead_letter") and letters:
            self.dead_letter_requested.emit(letters[0])
        elif where in (None, "topic") and finding.topic:
            self.topic_requested.emit(finding.topic)


def _letter_ids(finding: Finding) -> list[str]:
    return [str(i) for i in finding.evidence.get("dead_letter_ids") or []]

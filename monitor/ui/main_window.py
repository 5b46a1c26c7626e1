"""The main window: big numbers on top, the rate chart, and the live event table.

Everything on screen is fed by :class:`~monitor.ui.live_feed.LiveFeed` timers (10 Hz for
the table, 4 Hz for the chart and numbers); nothing here reacts to single events.

Closing the window stops the runtime first (the log writer flushes, tasks end), and only
then lets the window close and emits :attr:`MainWindow.closed`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from monitor.core.runtime import EmbeddedRuntime
from monitor.core.stats import StatsSnapshot
from monitor.ui.event_table_model import Column, EventTableModel
from monitor.ui.live_feed import LiveFeed
from monitor.ui.rate_chart import RateChart, complete_seconds
from monitor.ui.stat_card import StatCard

log = logging.getLogger(__name__)

WINDOW_TITLE = "Eventflow Monitor"
SETTLE_SECONDS = 3.0  # how long closing waits for demo orders already placed

# Starting widths in pixels; the user can drag them and the last column takes the rest.
_COLUMN_WIDTHS = {
    Column.TIME: 110,
    Column.TOPIC: 150,
    Column.TYPE: 150,
    Column.SOURCE: 190,
    Column.CORRELATION: 100,
    Column.KEY: 160,
}


def events_per_second(snapshot: StatsSnapshot) -> float:
    """All topics together in the last complete second."""
    return sum((complete_seconds(values) or [0.0])[-1] for values in snapshot.rates.values())


def status_text(runtime: EmbeddedRuntime) -> str:
    demo = runtime.demo
    if demo is None:
        return "Embedded bus"
    if demo.rate > 0:
        return f"Embedded bus - demo running at {demo.rate:g} orders/s"
    return "Embedded bus - demo services only, no orders placed"


async def stop_runtime(runtime: EmbeddedRuntime) -> None:
    """Stop placing demo orders, let the orders in flight finish, then stop everything.

    Letting them finish keeps their chains whole in the log, and it avoids a race in the
    core: a step the demo schedules while it is being stopped can publish on the closed
    bus ("Task exception was never retrieved: the event bus is closed").
    """
    demo = runtime.demo
    if demo is not None and runtime.started:
        await demo.stop_placing()
        try:
            await asyncio.wait_for(demo.settle(), SETTLE_SECONDS)
        except TimeoutError:
            log.warning("demo orders still in flight after %ss; stopping anyway", SETTLE_SECONDS)
    await runtime.stop()


class MainWindow(QMainWindow):
    """The first window: watches one :class:`EmbeddedRuntime` (already started or not)."""

    # Emitted once the runtime has stopped and the window has really closed.
    closed = Signal()

    def __init__(
        self,
        runtime: EmbeddedRuntime,
        *,
        settings: QSettings | None = None,
        table_capacity: int = 5000,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self._settings = settings
        self._shutdown_task: asyncio.Future[None] | None = None
        self._runtime_stopped = False
        self._closed = False
        # The task stopping the runtime after a close request (kept: the loop only holds
        # tasks weakly).
        self._closing: asyncio.Future[None] | None = None

        self.setWindowTitle(WINDOW_TITLE)
        self.resize(1280, 820)

        self.total_card = StatCard("Total events", "Events seen since the app started")
        self.rate_card = StatCard("Events / s", "All topics, last complete second")
        self.dead_letters_card = StatCard(
            "Dead letters pending", "Dead letters waiting to be replayed or discarded"
        )
        self.malformed_card = StatCard("Malformed", "Records that could not be decoded")

        self.rate_chart = RateChart()
        self.table_model = EventTableModel(capacity=table_capacity, parent=self)
        self.table_view = self._make_table_view(self.table_model)

        self.setCentralWidget(self._layout_central())
        self._status_source = QLabel(status_text(runtime))
        self._status_log = QLabel(self._log_text())
        self._status_missed = QLabel("")
        self.statusBar().addWidget(self._status_source)
        self.statusBar().addPermanentWidget(self._status_missed)
        self.statusBar().addPermanentWidget(self._status_log)
        self.statusBar().setSizeGripEnabled(False)

        self.feed = LiveFeed(
            runtime.pipeline, window_seconds=self.rate_chart.window_seconds, parent=self
        )
        self.feed.events_arrived.connect(self._on_events)
        self.feed.stats_updated.connect(self._on_stats)
        self._restore_state()
        self.feed.start()

    # -- layout -------------------------------------------------------------------------

    def _layout_central(self) -> QWidget:
        header = QHBoxLayout()
        header.setSpacing(10)
        for card in (self.total_card, self.rate_card, self.dead_letters_card, self.malformed_card):
            card.setMinimumWidth(170)
            header.addWidget(card)
        header.addStretch(1)
        source = QVBoxLayout()
        source.setSpacing(2)
        source.addStretch(1)
        self._live_badge = QLabel("\u25cf LIVE")
        self._live_badge.setObjectName("liveBadge")
        self._live_badge.setAlignment(Qt.AlignmentFlag.AlignRight)
        source_name = QLabel("embedded bus")
        source_name.setObjectName("liveSource")
        source_name.setAlignment(Qt.AlignmentFlag.AlignRight)
        source.addWidget(self._live_badge)
        source.addWidget(source_name)
        source.addStretch(1)
        header.addLayout(source)

        chart_hint = QLabel(
            f"up to the last {self.rate_chart.window_seconds} s; now is at the right edge"
        )
        chart_pane = self._titled("Events per second by topic", chart_hint, self.rate_chart)
        table_hint = QLabel(
            f"newest first, last {self.table_model.capacity:,} kept; scroll down to pause"
        )
        table_pane = self._titled("Live events", table_hint, self.table_view)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(chart_pane)
        self.splitter.addWidget(table_pane)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([320, 480])

        central = QWidget()
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.setSpacing(10)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)
        return central

    @staticmethod
    def _titled(title: str, hint: QLabel, body: QWidget) -> QWidget:
        """``body`` under a one-line heading: a bold title and a muted hint."""
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        row = QHBoxLayout()
        caption = QLabel(title)
        caption.setObjectName("sectionTitle")
        hint.setObjectName("sectionHint")
        row.addWidget(caption)
        row.addWidget(hint)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addWidget(body, 1)
        return pane

    @staticmethod
    def _make_table_view(model: EventTableModel) -> QTableView:
        view = QTableView()
        view.setModel(model)
        view.setAlternatingRowColors(True)
        view.setShowGrid(False)
        view.setWordWrap(False)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # ids differ at both ends
        vertical = view.verticalHeader()
        vertical.setVisible(False)
        # Fixed row heights: the view never measures thousands of rows.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(view.fontMetrics().height() + 8)
        horizontal = view.horizontalHeader()
        horizontal.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        horizontal.setHighlightSections(False)
        horizontal.setStretchLastSection(True)
        for column, width in _COLUMN_WIDTHS.items():
            view.setColumnWidth(column, width)
        return view

    def _log_text(self) -> str:
        if self.runtime.db_path is None:
            return "Event log: off (live view only)"
        return f"Event log: {self.runtime.db_path}"

    # -- feeding ------------------------------------------------------------------------

    def _on_events(self, events: list[Any], missed: int) -> None:
        scrollbar = self.table_view.verticalScrollBar()
        position = scrollbar.value()
        inserted = self.table_model.append_batch(events)
        # Scrolled down to read something: keep those rows still while new ones arrive.
        if position > 0:
            scrollbar.setValue(position + inserted)
        if self.feed.missed:
            self._status_missed.setText(
                f"{self.feed.missed:,} events went by too fast for the table"
            )

    def _on_stats(self, snapshot: StatsSnapshot) -> None:
        self.rate_chart.update(snapshot)
        self.total_card.set_value(f"{snapshot.total:,}")
        self.rate_card.set_value(f"{events_per_second(snapshot):,.0f}")
        pending = snapshot.dead_letters_pending
        self.dead_letters_card.set_value(f"{pending:,}", alert=pending > 0)
        self.malformed_card.set_value(f"{snapshot.malformed:,}", alert=snapshot.malformed > 0)

    # -- closing ------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Stop polling and stop the runtime (safe to await more than once)."""
        self.feed.stop()
        if self._shutdown_task is None:
            self._shutdown_task = asyncio.ensure_future(stop_runtime(self.runtime))
        await asyncio.shield(self._shutdown_task)
        self._runtime_stopped = True

    def is_closed(self) -> bool:
        """True once the runtime has stopped and the window has closed."""
        return self._closed

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._runtime_stopped:
            event.accept()
            if not self._closed:
                self._closed = True
                self._save_state()
                self.closed.emit()
            return
        # The runtime stops asynchronously; the window closes for real once it has.
        event.ignore()
        if self._closing is not None:
            return  # already stopping (a second click on the close button)
        try:
            self._closing = asyncio.ensure_future(self.shutdown())
        except RuntimeError:  # no asyncio loop at all: nothing async can be running
            log.warning("closing without an event loop; the runtime was not stopped")
            self._runtime_stopped = True
            self.close()
            return
        self.statusBar().showMessage("Stopping: writing the event log out...")
        self._live_badge.setText("\u25cf STOPPING")
        self._live_badge.setProperty("live", False)
        self._live_badge.style().polish(self._live_badge)
        self.setEnabled(False)
        self._closing.add_done_callback(self._after_shutdown)

    def _after_shutdown(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the runtime did not stop cleanly", exc_info=task.exception())
        self._runtime_stopped = True
        if shiboken6.isValid(self):  # the Qt object is gone if someone deleted it meanwhile
            self.close()

    # -- window state -------------------------------------------------------------------

    def _restore_state(self) -> None:
        if self._settings is None:
            return
        geometry = self._settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = self._settings.value("main_window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        columns = self._settings.value("main_window/table_header")
        if isinstance(columns, QByteArray):
            self.table_view.horizontalHeader().restoreState(columns)

    def _save_state(self) -> None:
        if self._settings is None:
            return
        self._settings.setValue("main_window/geometry", self.saveGeometry())
        self._settings.setValue("main_window/splitter", self.splitter.saveState())
        self._settings.setValue(
            "main_window/table_header", self.table_view.horizontalHeader().saveState()
        )

"""View 2, the event stream: live events newest first, a filter bar that also searches the
event log, a details pane, export, and a way into an event's correlation chain.

How it stays responsive at thousands of events per second:

- Events come from :attr:`LiveFeed.events_arrived` (25 Hz, whole batches). The view keeps
  the newest :data:`RECENT_EVENTS` of them in a ring, filters each batch *before* it
  reaches the table, and inserts the matches in one ``beginInsertRows``. The table model
  is bounded (:data:`LIVE_CAPACITY` rows), so the cost of a tick does not grow with time.
- Filtering before insertion (rather than a proxy over the raw rows) means a narrow
  filter fills the table with matches instead of showing three rows out of the last few
  thousand events. Changing the filter re-filters the ring, so the table shows matches
  among the newest :data:`RECENT_EVENTS` events at once, then every new one.
- Pausing stops the table, not the counting: events keep landing in the ring, and resuming
  shows what arrived meanwhile (the newest of them, as many as the ring holds).
- The "Log search" tab runs :class:`~monitor.ui.views.event_stream_search.LogSearch`:
  bounded steps in a worker thread, results as they come, a progress bar and Cancel.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from monitor.core.envelope import Envelope, format_time
from monitor.core.event_filter import EventFilter, SearchTextCache
from monitor.core.json_diff import pretty_json
from monitor.core.wording import plural_of
from monitor.ui import theme
from monitor.ui.background import BackgroundTasks
from monitor.ui.context import AppContext
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.event_table_model import EnvelopeRole, EventTableModel, format_local_time
from monitor.ui.live_feed import EVENTS_HZ
from monitor.ui.views.event_stream_details import EventDetailsPane
from monitor.ui.views.event_stream_export import Format, export_events, format_for
from monitor.ui.views.event_stream_filter_bar import FilterBar
from monitor.ui.views.event_stream_hold import LiveHold
from monitor.ui.views.event_stream_late_decode import LateDecoding
from monitor.ui.views.event_stream_search import LogSearch, SearchOutcome
from monitor.ui.views.event_stream_style import (
    make_table,
    set_state,
    set_tab_text,
    stylesheet,
)

log = logging.getLogger(__name__)

LIVE_CAPACITY = 5000  # rows in the live table
RECENT_EVENTS = 10_000  # the ring a new filter is applied to
STALE_OPACITY = 0.45  # the Log search results of a query the fields no longer show
SEARCH_PAGE = 1000  # matches per "Search log" / "Search older"
SEARCH_CAPACITY = 10_000  # rows in the results table
NOTICE_MS = 6000
# Time the live filter may take per tick (a fifth of the main thread in all), and when a
# new filter is applied: a free-text filter encodes every payload once (~5-10 us each),
# so a flood is bounded.
TICK_FILTER_SECONDS = 0.2 / EVENTS_HZ
REFILL_FILTER_SECONDS = 0.25

LIVE_TAB, SEARCH_TAB = 0, 1
SETTINGS_GROUP = "event_stream"


def _when(ts: float | None) -> str:
    """A timestamp for a sentence: local date and time to the millisecond."""
    if ts is None:
        return "the oldest event"
    utc = format_time(ts) or ""
    return f"{utc[:10]} {format_local_time(ts)}"


class EventStreamView(QWidget):
    """The event stream. Takes an :class:`AppContext` and nothing else.

    Signals: :attr:`chain_requested` (a chain id, on double-click, Enter or "Show chain").
    Actions, for menus and global shortcuts: :attr:`pause_action` (checkable; Space in the
    live table), :attr:`focus_filter_action` (Ctrl+F), :attr:`export_action` (Ctrl+E),
    :attr:`search_action` (Ctrl+Return), :attr:`clear_action` (Ctrl+L),
    :attr:`chain_action`.
    """

    chain_requested = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventStreamView")
        theme.keep_styled(self, stylesheet)
        self.context = context
        self._log = context.runtime.log
        self._filter = EventFilter()
        self._texts = SearchTextCache(RECENT_EVENTS + LIVE_CAPACITY)
        self._match = self._filter.matcher(self._texts)
        self._unfiltered = 0  # events the filter had no time for (see _insert_live)
        self._refilled_from = 0  # how many recent events the last refill examined
        self._refill_skipped = 0  # how many older ones it had no time for
        self._recent: deque[Envelope] = deque(maxlen=RECENT_EVENTS)
        self._paused = False
        self._pending = 0  # events received while paused
        self._held = 0  # events received while the live table held new rows back
        self._missed = 0
        self._searched_filter: EventFilter | None = None
        self._search_outcome: SearchOutcome | None = None
        self.tasks = BackgroundTasks(self)  # exports in progress
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(500)
        self._save_timer.timeout.connect(self.save_state)

        self.filter_bar = FilterBar()
        self.live_model = EventTableModel(capacity=LIVE_CAPACITY, parent=self)
        self.search_model = EventTableModel(capacity=SEARCH_CAPACITY, parent=self)
        self.live_table = make_table(self.live_model, "liveTable")
        self.live_hold = LiveHold(self.live_table)
        self.search_table = make_table(self.search_model, "searchTable")
        # Results of a query the filter fields no longer say are dimmed (see
        # search_is_stale), so they are not read as matches of what the fields show.
        self._stale_effect = QGraphicsOpacityEffect(self.search_table.viewport())
        self._stale_effect.setOpacity(STALE_OPACITY)
        self._stale_effect.setEnabled(False)
        self.search_table.viewport().setGraphicsEffect(self._stale_effect)
        self.details = EventDetailsPane(context.kafka)
        self.search = LogSearch(self)
        # Undecoded rows, decoded when one is shown and its schema can be had.
        self.late_decoding = LateDecoding(
            context, self.live_model, [self.search_model], self, recent=lambda: list(self._recent)
        )

        self._build_actions()
        self._build_layout()
        self._connect()
        self._restore_state()
        self._update_live_status()
        self._update_search_status()
        if self._log is None:
            self.filter_bar.search_button.setEnabled(False)
            self.filter_bar.search_button.setToolTip(
                "There is no event log: the app runs as a live view only"
            )
            self.search_action.setEnabled(False)

    # -- construction ---------------------------------------------------------------------

    def _build_actions(self) -> None:
        self.pause_action = QAction("Pause", self)
        self.pause_action.setCheckable(True)
        self.pause_action.setShortcut(QKeySequence(Qt.Key.Key_Space))
        self.pause_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.pause_action.setToolTip("Pause or resume the live table (Space)")
        self.pause_action.toggled.connect(self._on_pause_toggled)
        self.live_table.addAction(self.pause_action)

        self.focus_filter_action = QAction("Filter events", self)
        self.focus_filter_action.setShortcut(QKeySequence.StandardKey.Find)
        self.focus_filter_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.focus_filter_action.triggered.connect(self.filter_bar.focus_text)
        self.addAction(self.focus_filter_action)

        self.export_action = QAction("Export events...", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.export_action.setToolTip(
            "Export the selected events when several are selected, else all shown (Ctrl+E)"
        )
        self.export_action.triggered.connect(lambda: self.export_with_dialog())
        self.addAction(self.export_action)

        self.search_action = QAction("Search log", self)
        self.search_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.search_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.search_action.triggered.connect(lambda: self.search_log())
        self.addAction(self.search_action)

        self.clear_action = QAction("Clear live table", self)
        self.clear_action.setShortcut(QKeySequence("Ctrl+L"))
        self.clear_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.clear_action.setToolTip("Empty the live table; new events keep arriving (Ctrl+L)")
        self.clear_action.triggered.connect(self.clear_live)
        self.addAction(self.clear_action)

        self.chain_action = QAction("Show chain", self)
        self.chain_action.setToolTip("Open the correlation chain of the current event")
        self.chain_action.triggered.connect(self.request_chain)

    def _build_layout(self) -> None:
        # Live page: a status line over the table.
        self.live_status = _status_line()
        self.live_hint = QLabel(f"filters apply to the last {RECENT_EVENTS:,} and all new")
        self.live_hint.setObjectName("sectionHint")
        self.live_hint.setToolTip(
            f"A new filter is applied to the newest {RECENT_EVENTS:,} events received and to"
            " every event from then on. Search log finds older ones."
        )
        # The hint gives way first when the pane is narrow.
        self.live_hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.live_hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        live_row = QHBoxLayout()
        live_row.setContentsMargins(2, 4, 2, 2)
        live_row.addWidget(self.live_status)
        live_row.addWidget(self.live_hint, 1)
        live_page = QWidget()
        live_layout = QVBoxLayout(live_page)
        live_layout.setContentsMargins(0, 0, 0, 0)
        live_layout.setSpacing(2)
        live_layout.addLayout(live_row)
        live_layout.addWidget(self.live_table, 1)

        # Search page: progress, status, Cancel and "Search older" over the results.
        self.search_status = _status_line()
        self.search_progress = QProgressBar()
        self.search_progress.setRange(0, 1000)
        self.search_progress.setTextVisible(False)
        self.search_progress.setFixedWidth(140)
        self.search_progress.setVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the search; the matches found so far stay")
        self.cancel_button.setVisible(False)
        self.older_button = QPushButton("Search older")
        self.older_button.setToolTip("Go on searching the log further back in time")
        self.older_button.setVisible(False)
        search_row = QHBoxLayout()
        search_row.setContentsMargins(2, 4, 2, 2)
        search_row.addWidget(self.search_progress)
        search_row.addWidget(self.search_status, 1)
        search_row.addWidget(self.cancel_button)
        search_row.addWidget(self.older_button)
        search_page = QWidget()
        search_layout = QVBoxLayout(search_page)
        search_layout.setContentsMargins(0, 0, 0, 0)
        search_layout.setSpacing(2)
        search_layout.addLayout(search_row)
        search_layout.addWidget(self.search_table, 1)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(live_page, "Live")
        self.tabs.addTab(search_page, "Log search")
        self.tabs.setTabToolTip(LIVE_TAB, "Events as they arrive, filtered")
        self.tabs.setTabToolTip(SEARCH_TAB, "Events found in the event log")

        self.pause_button = QToolButton()
        self.pause_button.setDefaultAction(self.pause_action)
        self.pause_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.export_button = QToolButton()
        self.export_button.setDefaultAction(self.export_action)
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        export_menu = QMenu(self.export_button)
        export_menu.addAction("Selected events...", lambda: self.export_with_dialog(True))
        export_menu.addAction("All shown events...", lambda: self.export_with_dialog(False))
        self.export_button.setMenu(export_menu)
        self.notice = QLabel()
        self.notice.setObjectName("streamNotice")
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.setInterval(NOTICE_MS)
        self._notice_timer.timeout.connect(self.notice.clear)
        corner = QWidget()
        corner_layout = QHBoxLayout(corner)
        corner_layout.setContentsMargins(0, 0, 0, 2)
        corner_layout.setSpacing(6)
        corner_layout.addWidget(self.notice)
        corner_layout.addWidget(self.pause_button)
        corner_layout.addWidget(self.export_button)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.tabs)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([760, 480])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.splitter, 1)

        QWidget.setTabOrder(self.filter_bar.search_button, self.tabs)
        QWidget.setTabOrder(self.tabs, self.live_table)
        QWidget.setTabOrder(self.live_table, self.search_table)
        QWidget.setTabOrder(self.search_table, self.details.browser)

    def _connect(self) -> None:
        self.context.feed.events_arrived.connect(self._on_events)
        self.live_hold.released.connect(self._release_held)
        self.filter_bar.changed.connect(self._on_filter_changed)
        self.filter_bar.submitted.connect(self._on_filter_submitted)
        self.filter_bar.search_requested.connect(self.search_log)
        self.details.chain_requested.connect(self.chain_requested)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.cancel_button.clicked.connect(self.cancel_search)
        self.older_button.clicked.connect(self.search_older)
        self.search.results.connect(self._on_search_results)
        self.search.finished.connect(self._on_search_finished)
        self.late_decoding.decoded.connect(self._on_late_decoded)
        # At each keystroke, not after the typing pause: the results must not look like
        # answers to a query already on screen for a moment.
        for edit in self.filter_bar.edits():
            edit.textChanged.connect(self._on_query_fields_changed)
        self.filter_bar.malformed_check.toggled.connect(self._on_query_fields_changed)
        for table in (self.live_table, self.search_table):
            table.activated.connect(self._on_activated)  # double-click or Enter
            table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
            table.customContextMenuRequested.connect(self._show_context_menu)
            header = table.horizontalHeader()
            header.sectionResized.connect(self._save_timer.start)
            header.sectionMoved.connect(self._save_timer.start)
        self.splitter.splitterMoved.connect(self._save_timer.start)

    # -- public API -------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def waiting(self) -> int:
        """Events received while paused, shown on :meth:`resume`."""
        return self._pending

    def pause(self) -> None:
        """Stop adding rows to the live table; events are still counted and kept."""
        self.pause_action.setChecked(True)

    def resume(self) -> None:
        """Add what arrived while paused (the newest of it) and go on live."""
        self.pause_action.setChecked(False)

    @property
    def filter(self) -> EventFilter:
        return self._filter

    def apply_filter(self, flt: EventFilter | None = None) -> None:
        """Filter the live table with ``flt`` (default: what the filter bar says)."""
        if flt is not None and flt != self.filter_bar.filter():
            self.filter_bar.set_filter(flt, emit=False)
        flt = self.filter_bar.filter() if flt is None else flt
        changed = flt != self._filter
        self._filter = flt
        self._match = flt.matcher(self._texts)
        if changed:
            self._refill_live()
            self._save_timer.start()

    @property
    def searching(self) -> bool:
        return self.search.running

    def search_log(self, flt: EventFilter | None = None) -> None:
        """Show the Log search tab and search the event log with ``flt`` (default: the
        filter bar's), replacing any search still running."""
        if self._log is None:
            self._notify("There is no event log to search: the app runs as a live view only.")
            return
        flt = self.filter_bar.filter() if flt is None else flt
        if flt != self._filter:
            self.apply_filter(flt)
        self.tabs.setCurrentIndex(SEARCH_TAB)
        self.search_model.clear()
        self._searched_filter = flt
        self._search_outcome = None
        self._start_search(flt, before=None)

    @property
    def search_is_stale(self) -> bool:
        """Whether the Log search tab holds the results of a query other than the one
        the filter fields show now (they were edited since): its status says so, the
        results are dimmed, and Search log runs the new query."""
        searched = self._searched_filter
        return searched is not None and self.filter_bar.filter() != searched

    def search_older(self) -> None:
        """Continue the last search further back, appending to the results."""
        outcome = self._search_outcome
        if (
            self._log is None
            or outcome is None
            or outcome.next_before is None
            or self.search_model.is_full
        ):
            return
        self._start_search(outcome.filter, before=outcome.next_before)

    def cancel_search(self) -> None:
        self.search.cancel()

    async def wait_search(self) -> None:
        """Until the running search (if any) has finished; for shutdown and tests."""
        await self.search.wait()

    def clear_live(self) -> None:
        """Empty the live table (and the ring a new filter applies to)."""
        self._recent.clear()
        self._texts.clear()
        self._pending = 0
        self._refilled_from = 0
        self._refill_skipped = 0
        self.live_model.clear()
        self._update_live_status()

    def current_table(self) -> QTableView:
        return self.search_table if self.tabs.currentIndex() == SEARCH_TAB else self.live_table

    def current_event(self) -> Envelope | None:
        index = self.current_table().currentIndex()
        if not index.isValid():
            return None
        value = index.data(EnvelopeRole)
        return value if isinstance(value, Envelope) else None

    def selected_events(self) -> list[Envelope]:
        """The selected rows of the current table, oldest first (log order)."""
        table = self.current_table()
        model = table.model()
        assert isinstance(model, EventTableModel)
        rows = sorted({i.row() for i in table.selectionModel().selectedRows()}, reverse=True)
        return [model.envelope(r) for r in rows]

    def shown_events(self) -> list[Envelope]:
        """Every row of the current table (the filtered set), oldest first."""
        model = self.current_table().model()
        assert isinstance(model, EventTableModel)
        return model.envelopes()[::-1]

    def export_to(self, path: str, fmt: Format | None = None, *, selection: bool = False) -> int:
        """Write the selected (or all shown) events to ``path``; returns how many.
        Blocking: :meth:`export_with_dialog` runs it in a worker thread."""
        events = self.selected_events() if selection else self.shown_events()
        return export_events(path, events, fmt or format_for(path))

    def export_with_dialog(self, selection: bool | None = None) -> None:
        """Ask for a file and export. ``selection=None``: the selection when several rows
        are selected, else everything shown. (One selected row is most often the row
        clicked to read its details, or the one a log search selects: exporting just it
        surprised users who meant the filtered set. The menu offers "Selected events"
        for a single one.)"""
        if selection is None:
            selection = len(self.current_table().selectionModel().selectedRows()) > 1
        events = self.selected_events() if selection else self.shown_events()
        if not events:
            self._notify(
                "Nothing to export: "
                + ("select events first." if selection else "the table is empty.")
            )
            return
        what = "selected" if selection else "shown"
        path, chosen = QFileDialog.getSaveFileName(
            self,
            f"Export {len(events):,} {what} {plural_of(len(events), 'event')}",
            "events.jsonl",
            "JSON lines (*.jsonl);;CSV (*.csv)",
        )
        if not path:
            return
        fmt = format_for(path, chosen)
        if not Path(path).suffix:
            path += ".csv" if fmt == "csv" else ".jsonl"
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no event loop running: write here, it is one file
            try:
                self._finish_export(path, export_events(path, events, fmt))
            except Exception as exc:
                self._finish_export(path, error=exc)
            return
        # Copies, made here on the loop: late decoding changes an event in place on the
        # loop, and the file must not get an event half undecoded, half decoded.
        events = list(map(copy.copy, events))
        self.tasks.spawn(
            asyncio.to_thread(export_events, path, events, fmt),
            done=lambda count: self._finish_export(path, count),
            failed=lambda exc: self._finish_export(path, error=exc),
        )

    def request_chain(self) -> None:
        """Emit :attr:`chain_requested` for the current event, if there is one."""
        event = self.current_event()
        if event is not None:
            self.chain_requested.emit(event.chain_id)

    def save_state(self) -> None:
        """Write the filter, the splitter and the column layout to the settings."""
        settings = self.context.settings
        if settings is None:
            return
        settings.setValue(f"{SETTINGS_GROUP}/filter", json.dumps(self._filter.to_dict()))
        settings.setValue(f"{SETTINGS_GROUP}/splitter", self.splitter.saveState())
        settings.setValue(
            f"{SETTINGS_GROUP}/live_header", self.live_table.horizontalHeader().saveState()
        )
        settings.setValue(
            f"{SETTINGS_GROUP}/search_header", self.search_table.horizontalHeader().saveState()
        )

    # -- live events ------------------------------------------------------------------------

    def _on_events(self, events: Sequence[Envelope], missed: int) -> None:
        self._recent.extend(events)
        self._missed += missed
        self._suggest(events)
        if self._paused:
            self._pending += len(events)
        elif self.live_hold.holding:
            self._held += len(events)
        elif self._held:
            self._held += len(events)
            self._release_held()  # what waited, and these: the newest of it
        else:
            self._insert_live(events)
        self._update_live_status()

    def _release_held(self) -> None:
        """Add the events that waited during a hold (see LiveHold), newest on top."""
        if self._paused or self.live_hold.holding:
            return
        self._insert_newest(self._held)
        self._held = 0
        self._update_live_status()

    def _insert_newest(self, count: int) -> None:
        """Put the newest ``count`` recent events (those that waited during a pause or a
        hold) on top of the table, as far as the recent buffer still has them."""
        waiting = min(count, len(self._recent))
        if waiting:
            recent = list(self._recent)
            self._insert_live(recent[len(recent) - waiting :])

    def _matches(
        self, newest_first: Sequence[Envelope], budget: float
    ) -> tuple[list[Envelope], int]:
        """Events of ``newest_first`` that pass the filter (newest first, at most a table
        full), and how many were left unexamined when ``budget`` seconds ran out."""
        if self._filter.is_empty:
            return list(newest_first[:LIVE_CAPACITY]), 0
        match, found = self._match, []
        deadline = time.perf_counter() + budget
        for examined, event in enumerate(newest_first):
            if match(event):
                found.append(event)
                if len(found) >= LIVE_CAPACITY:
                    break
            if examined % 64 == 63 and time.perf_counter() > deadline:
                return found, len(newest_first) - examined - 1
        return found, 0

    def _insert_live(self, events: Sequence[Envelope]) -> None:
        """Filter ``events`` (oldest first) and put the matches on top of the table."""
        found, skipped = self._matches(events[::-1], TICK_FILTER_SECONDS)
        # A flood with an expensive filter: the table gets the newest matches the budget
        # allowed, and the rest is counted, never allowed to slow the window down.
        self._unfiltered += skipped
        if not found:
            return
        scrollbar = self.live_table.verticalScrollBar()
        position = scrollbar.value()
        inserted = self.live_model.append_batch(found[::-1])
        # Scrolled down to read something: keep those rows still while new ones arrive.
        if position > 0:
            # The view grows its scroll range lazily; grow it now, or the value is clamped.
            self.live_table.updateGeometries()
            scrollbar.setValue(position + inserted)

    def _refill_live(self) -> None:
        """Show the matches among the recent events (up to the pause, when paused)."""
        recent = list(self._recent)
        if self._paused and self._pending:
            recent = recent[: max(0, len(recent) - self._pending)]
        self._held = 0  # the refill shows them
        found, skipped = self._matches(recent[::-1], REFILL_FILTER_SECONDS)
        self._refilled_from = len(recent) - skipped
        self._refill_skipped = skipped
        current = self.current_event() if self.tabs.currentIndex() == LIVE_TAB else None
        self.live_model.replace_all(found)
        if current is not None:
            self._select(self.live_table, current)
        self._update_live_status()

    def _on_pause_toggled(self, paused: bool) -> None:
        if paused == self._paused:
            return
        self._paused = paused
        self.pause_action.setText("Resume" if paused else "Pause")
        self._pending += self._held  # what a hold kept back waits for the resume now
        self._held = 0
        if not paused and self._pending:
            self._insert_newest(self._pending)
        self._pending = 0
        self._update_live_status()

    def _update_live_status(self) -> None:
        rows = self.live_model.rowCount()
        kind = "newest" if self._filter.is_empty else "matching"
        text = f"{rows:,} {kind} {plural_of(rows, 'event')}"
        if self._paused:
            text = f"Paused \u00b7 {text} \u00b7 {self._pending:,} new waiting (Space resumes)"
        elif self._held and self.live_hold.scrolled_away:
            text = f"{text} \u00b7 {self._held:,} new waiting while you read (scroll to the top)"
        # Compared with what the refill had before it, not with the buffer now: events
        # that arrived since are filtered as they come.
        if not self._filter.is_empty and self._refill_skipped:
            text += f" (a new filter looked at the newest {self._refilled_from:,} only)"
        too_fast = self._missed + self._unfiltered
        if too_fast:
            text += f" \u00b7 {too_fast:,} went by too fast to show"
        self.live_status.setText(text)
        set_state(self.live_status, "paused" if self._paused else "")
        set_tab_text(self.tabs, LIVE_TAB, "Live (paused)" if self._paused else "Live")

    def _suggest(self, events: Sequence[Envelope]) -> None:
        self.filter_bar.add_suggestions("type", {e.type for e in events})
        self.filter_bar.add_suggestions("topic", {e.topic or "" for e in events})
        self.filter_bar.add_suggestions("source", {e.source for e in events})

    # -- filter bar -------------------------------------------------------------------------

    def _on_filter_changed(self, flt: EventFilter) -> None:
        self.apply_filter(flt)

    def _on_filter_submitted(self, flt: EventFilter) -> None:
        if self.tabs.currentIndex() == SEARCH_TAB:
            self.search_log(flt)
        else:
            self.apply_filter(flt)

    # -- log search -------------------------------------------------------------------------

    def _start_search(self, flt: EventFilter, *, before: int | None) -> None:
        assert self._log is not None
        room = self.search_model.capacity - self.search_model.rowCount()
        try:
            self.search.start(
                self._log,
                flt,
                limit=min(SEARCH_PAGE, room),
                before=before,
                schemas=self.context.kafka.schemas,
            )
        except RuntimeError:
            self._notify("The search needs the application's event loop; it is not running.")
            return
        self.search_progress.setValue(0)
        self._update_search_status(running=True)

    def _on_search_results(self, events: list[Envelope], progress: float) -> None:
        if events:
            self.search_model.extend_older(events)
            if not self.search_table.currentIndex().isValid():
                self.search_table.selectRow(0)
        self.search_progress.setValue(round(progress * 1000))
        self._update_search_status(running=True)

    def _on_search_finished(self, outcome: SearchOutcome) -> None:
        self._search_outcome = outcome
        self._update_search_status()

    def _on_query_fields_changed(self, *_args: Any) -> None:
        if self._searched_filter is not None:
            self._update_search_status(running=self.search.running)

    def _update_search_status(self, *, running: bool = False) -> None:
        self.search_progress.setVisible(running)
        self.cancel_button.setVisible(running)
        rows = self.search_model.rowCount()
        outcome = self._search_outcome
        can_go_on = (
            not running
            and outcome is not None
            and outcome.next_before is not None
            and outcome.error is None
            and not self.search_model.is_full
        )
        stale = self._log is not None and self.search_is_stale
        self.older_button.setVisible(can_go_on and not stale)  # it would go on with the old
        state = ""
        if self._log is None:
            text = "There is no event log: the app runs as a live view only."
        elif running:
            flt = self._searched_filter or self._filter
            text = f"Searching the log for {flt.describe()}\u2026 {rows:,} found"
        elif outcome is None:
            text = (
                "Type a filter above and press Search log (or Enter here) to search the"
                " whole event log, newest first. The log keeps"
                f" {self.context.runtime.retention.describe()}"
                " (eventflow --keep N changes it)."
            )
        elif outcome.error is not None:
            text = f"The search failed: {outcome.error}"
            state = "error"
        else:
            text = self._outcome_text(outcome, rows)
        if stale and self._searched_filter is not None:
            # What to do first: a long query elides the end, not the advice.
            text = (
                "Fields changed: press Search log (Ctrl+Enter). These results are for"
                f" {self._searched_filter.describe()}."
            )
            state = "paused"
        self.search_status.setText(text)
        set_state(self.search_status, state)
        self._stale_effect.setEnabled(stale)
        tab = f"Log search ({rows:,})" if rows else "Log search"
        set_tab_text(self.tabs, SEARCH_TAB, f"{tab} \u00b7 old query" if stale else tab)

    @staticmethod
    def _outcome_text(outcome: SearchOutcome, rows: int) -> str:
        took = f"{outcome.elapsed:.2f} s"
        what = outcome.filter.describe()
        matches = f"{rows:,} {plural_of(rows, 'match')}"
        # Events whose schema could not be had were not searched inside: say so, or "0
        # matches" would claim more than was looked at.
        unsearched = ""
        if outcome.undecoded_left:
            n = outcome.undecoded_left
            unsearched = (
                f" \u00b7 {n:,} undecoded {plural_of(n, 'event')} not searched inside (their"
                " schema could not be had; see an undecoded row's reason)"
            )
        if outcome.complete:
            where = "the whole log" if outcome.continued else f"{outcome.span:,} logged events"
            return f"{matches} for {what} in {where} \u00b7 {took}{unsearched}"
        back = _when(outcome.searched_back_to)
        if outcome.cancelled:
            if outcome.searched_back_to is None:  # cancelled before a step had ended
                return f"Cancelled: {matches} for {what} \u00b7 {took}{unsearched}"
            return f"Cancelled: {matches} for {what} up to {back} \u00b7 {took}{unsearched}"
        return f"Newest {matches} for {what}, searched back to {back} \u00b7 {took}{unsearched}"

    # -- selection, details, chain ----------------------------------------------------------

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # An invalid index means the row went away (it scrolled out of the bounded table,
        # or the table was refilled): keep showing the event, the user may be reading it.
        if current.isValid() and self.sender() is self.current_table().selectionModel():
            self._show_details(self._event_at(current))

    def _on_tab_changed(self, _index: int) -> None:
        self._show_details(self.current_event())

    def _show_details(self, event: Envelope | None) -> None:
        self.details.show_event(event)
        self.late_decoding.event_shown(event)

    def _on_late_decoded(self, _count: int) -> None:
        # The envelopes changed in place: their cells, their filter texts and the
        # details pane (showing the same object) are drawn again.
        self._texts.clear()
        if not self._filter.is_empty:
            self._refill_live()  # a decoded event may match the filter now, or no longer
        self.live_model.refresh()
        self.search_model.refresh()
        shown = self.details.current_event
        if shown is not None:
            self.details.show_event(None)
            self.details.show_event(shown)

    def _on_activated(self, index: QModelIndex) -> None:
        event = self._event_at(index)
        if event is not None:
            self.chain_requested.emit(event.chain_id)

    @staticmethod
    def _event_at(index: QModelIndex) -> Envelope | None:
        if not index.isValid():
            return None
        value = index.data(EnvelopeRole)
        return value if isinstance(value, Envelope) else None

    @staticmethod
    def _select(table: QTableView, event: Envelope) -> None:
        model = table.model()
        assert isinstance(model, EventTableModel)
        for row, candidate in enumerate(model.envelopes()):
            if candidate is event:
                index = model.index(row, 0)
                table.selectionModel().setCurrentIndex(
                    index,
                    QItemSelectionModel.SelectionFlag.ClearAndSelect
                    | QItemSelectionModel.SelectionFlag.Rows,
                )
                table.scrollTo(index)
                return

    def _show_context_menu(self, position: QPoint) -> None:
        table = self.current_table()
        event = self._event_at(table.indexAt(position))
        if event is None:
            return
        menu = QMenu(self)
        menu.addAction("Show chain", lambda: self.chain_requested.emit(event.chain_id))
        menu.addSeparator()
        if event.type:
            menu.addAction(f"Filter by type {event.type}", lambda: self._filter_by(type=event.type))
        menu.addAction(
            "Filter by this correlation id",
            lambda: self._filter_by(correlation_id=event.chain_id),
        )
        menu.addSeparator()
        menu.addAction(
            "Copy correlation id", lambda: QGuiApplication.clipboard().setText(event.chain_id)
        )
        menu.addAction(
            "Copy as JSON",
            lambda: QGuiApplication.clipboard().setText(pretty_json(event.to_dict())),
        )
        menu.addSeparator()
        menu.addAction("Export selected...", lambda: self.export_with_dialog(True))
        menu.popup(table.viewport().mapToGlobal(position))

    def _filter_by(self, **fields: str) -> None:
        flt = EventFilter(**{**self._filter.to_dict(), **fields})
        if self.tabs.currentIndex() == SEARCH_TAB:
            self.search_log(flt)
        else:
            self.apply_filter(flt)

    # -- export, notices, settings ----------------------------------------------------------

    def _finish_export(
        self, path: str, count: int = 0, *, error: BaseException | None = None
    ) -> None:
        if not shiboken6.isValid(self):  # the view may have been closed while it wrote
            return
        if error is not None:
            self._notify(f"Export failed: {error}", error=True)
            return
        self._notify(f"Exported {count:,} {plural_of(count, 'event')} to {path}")

    def _notify(self, text: str, *, error: bool = False) -> None:
        colour = theme.DANGER if error else theme.LIVE
        self.notice.setStyleSheet(f"color: {colour};")
        self.notice.setText(text)
        self.notice.setToolTip(text)
        self._notice_timer.start()

    def _restore_state(self) -> None:
        settings = self.context.settings
        if settings is None:
            return
        try:
            saved = settings.value(f"{SETTINGS_GROUP}/filter")
            flt = EventFilter.from_dict(json.loads(saved)) if isinstance(saved, str) else None
        except ValueError:
            flt = None
        if flt is not None and not flt.is_empty:
            self.filter_bar.set_filter(flt, emit=False)
            self.apply_filter(flt)
        for key, restore in (
            ("splitter", self.splitter.restoreState),
            ("live_header", self.live_table.horizontalHeader().restoreState),
            ("search_header", self.search_table.horizontalHeader().restoreState),
        ):
            value = settings.value(f"{SETTINGS_GROUP}/{key}")
            if isinstance(value, QByteArray):
                restore(value)


def _status_line() -> ElidedLabel:
    """A status line that names a query: elided to the pane (whole in its tooltip), so
    a long filter never widens the window."""
    label = ElidedLabel()
    label.setObjectName("streamStatus")
    return label


__all__ = ["LIVE_CAPACITY", "RECENT_EVENTS", "SEARCH_PAGE", "EventStreamView"]

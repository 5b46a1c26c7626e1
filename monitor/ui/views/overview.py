"""The overview: big numbers, rates per topic, dead-letter depth, consumer lag, sources.

Colour carries meaning here and nowhere is it decoration: a dead-letter count in red means
work is waiting; a topic marked *quiet* had traffic in the last minute and none in the
last ten seconds (a producer or a consumer upstream may have stopped); a rising
dead-letter depth is flagged with an arrow on its card.

Ranges: *5 min* draws the live charts from memory; *1 h*, *24 h* and *7 d* draw the
history stored in the event log (through the window's
:class:`~monitor.ui.history_service.HistoryService`), so they come back after a restart
with their past. A point under the mouse says its value and time; a click on the
dead-letter chart opens the Dead letters view on the letter of that moment.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from monitor.core.gauges import GaugeHistory
from monitor.core.history_store import Series
from monitor.core.stats import StatsSnapshot
from monitor.ui import theme
from monitor.ui.background import BackgroundTasks
from monitor.ui.context import AppContext
from monitor.ui.history_service import HistoryService
from monitor.ui.rate_chart import RateChart, complete_seconds
from monitor.ui.series_chart import HistoryChart, SeriesChart
from monitor.ui.stat_card import StatCard
from monitor.ui.table_setup import set_up_table

QUIET_AFTER = 10  # seconds without events, after traffic in the last minute
DEPTH_TREND_SECONDS = 30  # a dead-letter depth higher than this long ago is "rising"
# (label, seconds); the first is live, from memory, the others read the stored history.
RANGES = (("5 min", 300), ("1 h", 3600), ("24 h", 86_400), ("7 d", 7 * 86_400))
LIVE_RANGE = RANGES[0][1]
CHART_POINTS = 500  # a history chart reads at most about this many points per series
# What each history chart draws: the rate chart, the dead-letter depth, the lag.
RATE_SERIES = ("topic.*.rate",)
DEPTH_SERIES = ("dead_letters.pending", "dead_letters.*.pending")
LAG_SERIES = ("group.*.lag",)


def events_per_second(snapshot: StatsSnapshot) -> float:
    """All topics together in the last complete second."""
    return sum((complete_seconds(values) or [0.0])[-1] for values in snapshot.rates.values())


def topic_status(per_second: list[float]) -> str:
    """``live``, ``quiet`` (traffic in the last minute, none in the last QUIET_AFTER s) or
    ``idle`` (nothing in the last minute)."""
    done = complete_seconds(per_second)
    last_minute, recent = done[-60:], done[-QUIET_AFTER:]
    if any(recent):
        return "live"
    return "quiet" if any(last_minute) else "idle"


def depth_rising(depth: list[float]) -> bool:
    return len(depth) > DEPTH_TREND_SECONDS and depth[-1] > depth[-1 - DEPTH_TREND_SECONDS]


class OverviewView(QWidget):
    """The overview. Clicking the dead-letter card emits :attr:`dead_letters_requested`;
    clicking a topic's row emits :attr:`topic_requested` with the topic's name."""

    dead_letters_requested = Signal()
    topic_requested = Signal(str)
    # A point of the dead-letter history was clicked: (its time, the seconds it covers).
    dead_letters_at = Signal(float, float)

    def __init__(self, context: AppContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.context = context
        self._lag: GaugeHistory | None = None
        self._kafka_depth: GaugeHistory | None = None
        self._latest: StatsSnapshot | None = None
        self._on_screen = True  # told otherwise by whoever can hide it (the main window)
        self.history: HistoryService | None = None
        self.range_seconds = LIVE_RANGE
        self.tasks = BackgroundTasks(self)
        self._history_loading = False
        self._history_drawn_at = 0.0  # monotonic time of the last history drawn

        self.total_card = StatCard("Total events", "Events seen since the app started")
        self.rate_card = StatCard("Events / s", "All topics, last complete second")
        self.dead_letters_card = StatCard(
            "Dead letters pending", "Dead letters waiting to be replayed or discarded"
        )
        self.dead_letters_card.clickable(
            "Dead letters waiting to be replayed or discarded: click to open them"
        )
        self.dead_letters_card.clicked.connect(self.dead_letters_requested)
        self.malformed_card = StatCard("Malformed", "Records that could not be decoded")
        self.rate_chart = RateChart(window_seconds=LIVE_RANGE)
        self.depth_chart = SeriesChart("dead letters", window_seconds=LIVE_RANGE)
        self.lag_chart = SeriesChart("lag (records)", window_seconds=LIVE_RANGE)
        self.lag_hint = QLabel("Connect to a Kafka cluster to see consumer lag over time.")
        self.lag_hint.setObjectName("sectionHint")
        self.lag_hint.setWordWrap(True)  # the pane is a third of a laptop's width
        self.rate_history = HistoryChart("events/s", "events/s")
        self.depth_history = HistoryChart("dead letters", "letters")
        self.lag_history = HistoryChart("lag (records)", "records")
        self.depth_history.moment_clicked.connect(self._depth_moment_clicked)
        self.rate_stack = _stacked(self.rate_chart, self.rate_history)
        self.depth_stack = _stacked(self.depth_chart, self.depth_history)
        self.lag_stack = _stacked(self.lag_chart, self.lag_history)
        self.range_buttons = QButtonGroup(self)
        self.range_buttons.setExclusive(True)
        ranges = QHBoxLayout()
        ranges.setSpacing(0)
        for label, seconds in RANGES:
            button = QToolButton()
            button.setText(label)
            button.setCheckable(True)
            button.setObjectName("rangeButton")
            button.setToolTip(
                "The live charts, from memory"
                if seconds == LIVE_RANGE
                else f"The last {label} from the event log's history"
            )
            self.range_buttons.addButton(button, seconds)
            ranges.addWidget(button)
        self.range_buttons.button(LIVE_RANGE).setChecked(True)
        self.range_buttons.idClicked.connect(self.set_range)
        self.topics_table = self._make_topics_table()
        self.topics_table.cellClicked.connect(self._topic_clicked)
        self.topics_table.cellActivated.connect(self._topic_clicked)
        self.sources = QLabel()
        self.sources.setObjectName("sourcesLine")
        self.sources.setTextFormat(Qt.TextFormat.RichText)

        self.pause_action = QAction("Pause charts", self)
        self.pause_action.setCheckable(True)
        self.pause_action.setToolTip("Freeze the charts to zoom and pan with the mouse")
        self.pause_action.toggled.connect(self.set_paused)
        pause_button = QToolButton()
        pause_button.setDefaultAction(self.pause_action)

        cards = QHBoxLayout()
        cards.setSpacing(10)
        for card in (self.total_card, self.rate_card, self.dead_letters_card, self.malformed_card):
            card.setMinimumWidth(150)
            cards.addWidget(card)
        cards.addStretch(1)

        lower = QWidget()
        grid = QGridLayout(lower)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(_titled("Dead-letter depth", self.depth_stack), 0, 0)
        lag_box = QWidget()
        lag_layout = QVBoxLayout(lag_box)
        lag_layout.setContentsMargins(0, 0, 0, 0)
        lag_layout.addWidget(self.lag_hint)
        lag_layout.addWidget(self.lag_stack, 1)
        grid.addWidget(_titled("Consumer lag by group", lag_box), 0, 1)
        grid.addWidget(_titled("Topics", self.topics_table), 0, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)

        rate_header = QHBoxLayout()
        rate_header.addWidget(_caption("Events per second by topic"))
        rate_header.addStretch(1)
        # Here rather than beside the cards: that row is as wide as a laptop allows.
        rate_header.addWidget(self.sources)
        rate_header.addLayout(ranges)
        rate_header.addWidget(pause_button)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.setSpacing(2)
        upper_layout.addLayout(rate_header)
        upper_layout.addWidget(self.rate_stack, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(lower)
        self.splitter.setSizes([420, 300])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.setSpacing(10)
        layout.addLayout(cards)
        layout.addWidget(self.splitter, 1)

        context.feed.stats_updated.connect(self.show_stats)
        context.kafka.changed.connect(self._show_sources)
        # Gauges are sampled every few seconds anyway: every 2 s on the feed's clock.
        self._gauge_timer = context.feed.every(2000, self._show_gauges, self)
        self._gauge_timer.start()
        self._show_sources()

    # -- feeding ------------------------------------------------------------------------

    def set_kafka_gauges(self, lag: GaugeHistory, dead_letter_depth: GaugeHistory) -> None:
        """Draw these (sampled from a Kafka cluster) in the lag and depth charts."""
        self._lag, self._kafka_depth = lag, dead_letter_depth

    def set_history(self, history: HistoryService) -> None:
        """Read the 1 h, 24 h and 7 d ranges from ``history``; redraw them as it samples."""
        self.history = history
        history.sampled.connect(self._history_sampled)

    def set_range(self, seconds: int) -> None:
        """Show the last ``seconds`` (one of :data:`RANGES`): live, or from the history."""
        self.range_seconds = seconds
        button = self.range_buttons.button(seconds)
        if button is not None and not button.isChecked():
            button.setChecked(True)
        live = seconds == LIVE_RANGE
        for stack in (self.rate_stack, self.depth_stack, self.lag_stack):
            stack.setCurrentIndex(0 if live else 1)
        if live:
            self._show_gauges()
        else:
            self.reload_history()

    def reload_history(self) -> None:
        """Read the stored series of the current range (in a worker thread) and draw them."""
        if self.history is None or self.range_seconds == LIVE_RANGE or self._history_loading:
            return
        self._history_loading = True
        span = float(self.range_seconds)
        self.tasks.spawn(
            self._read_history(self.history, span),
            done=lambda read: self._draw_history(read, span),
            failed=self._history_failed,
        )

    async def _read_history(
        self, history: HistoryService, span: float
    ) -> tuple[float, list[Series], list[Series], list[Series]]:
        now = time.time()
        since = now - span
        step = span / CHART_POINTS
        rates = await history.series(RATE_SERIES, since=since, step=step)
        depth = await history.series(DEPTH_SERIES, since=since, step=step)
        lag = await history.series(LAG_SERIES, since=since, step=step)
        return now, rates, depth, lag

    def _draw_history(
        self, read: tuple[float, list[Series], list[Series], list[Series]], span: float
    ) -> None:
        self._history_loading = False
        self._history_drawn_at = time.monotonic()
        now, rates, depth, lag = read
        if span != self.range_seconds:
            self.reload_history()  # the range changed while reading: read the new one
            return
        self.rate_history.show_series({_short(s.name): s.samples for s in rates}, span, now)
        self.depth_history.show_series({_short(s.name): s.samples for s in depth}, span, now)
        self.lag_history.show_series({_short(s.name): s.samples for s in lag}, span, now)
        has_lag = any(s.samples for s in lag)
        if not has_lag:
            self.lag_hint.setText(self._no_lag_sentence())
        self.lag_hint.setVisible(not has_lag)
        self.lag_stack.setVisible(has_lag)

    def _depth_moment_clicked(self, at: float) -> None:
        # A drawn point is the maximum of its bucket: it stands for the bucket's seconds.
        self.dead_letters_at.emit(at, max(10.0, self.range_seconds / CHART_POINTS))

    def _no_lag_sentence(self) -> str:
        """Why no lag is drawn: not connected, or a cluster with no consumer group yet."""
        if self.context.kafka.connected:
            return (
                "No consumer group on this cluster has committed offsets yet: lag shows once "
                "one has."
            )
        return "Connect to a Kafka cluster to see consumer lag over time."

    def _history_failed(self, exc: BaseException) -> None:
        self._history_loading = False
        self.lag_hint.setText(f"The history could not be read: {exc}")
        self.lag_hint.setVisible(True)

    def _history_sampled(self) -> None:
        # A point of a long range covers minutes: redrawing it at every sample would
        # cost the loop for nothing, so at most once per point (between 5 s and 1 min).
        if not self._on_screen or self.range_seconds == LIVE_RANGE:
            return
        every = min(60.0, max(5.0, self.range_seconds / CHART_POINTS))
        if time.monotonic() - self._history_drawn_at >= every:
            self.reload_history()

    def set_paused(self, paused: bool) -> None:
        for chart in (
            self.rate_chart,
            self.depth_chart,
            self.lag_chart,
            self.rate_history,
            self.depth_history,
            self.lag_history,
        ):
            chart.set_paused(paused)
        self.pause_action.setText("Resume charts" if paused else "Pause charts")

    def save_state(self, settings: Any) -> None:
        settings.setValue("overview/splitter", self.splitter.saveState())
        settings.setValue("overview/range", self.range_seconds)

    def restore_state(self, settings: Any) -> None:
        state = settings.value("overview/splitter")
        if isinstance(state, QByteArray):
            self.splitter.restoreState(state)
        saved = settings.value("overview/range")
        try:
            seconds = int(saved) if saved is not None else LIVE_RANGE
        except (TypeError, ValueError):
            seconds = LIVE_RANGE
        if seconds in {s for _, s in RANGES}:
            self.set_range(seconds)

    def show_stats(self, snapshot: StatsSnapshot) -> None:
        self._latest = snapshot
        # Tabbed away behind another view: drawing charts nobody sees took a few per cent
        # of the event loop under a flood. The latest snapshot is drawn when shown again.
        if self._on_screen:
            self._draw(snapshot)

    def set_on_screen(self, on_screen: bool) -> None:
        """Whether the view can be seen (its dock's tab is the current one, say)."""
        self._on_screen = on_screen
        if on_screen:  # catch up at once; the gauge timer then runs only while seen
            if self._latest is not None:
                self._draw(self._latest)
            self._show_gauges()
            self._gauge_timer.start()
            self.reload_history()
        else:
            self._gauge_timer.stop()

    def _draw(self, snapshot: StatsSnapshot) -> None:
        self.rate_chart.show_snapshot(snapshot)
        self.total_card.set_value(f"{snapshot.total:,}")
        self.rate_card.set_value(f"{events_per_second(snapshot):,.0f}")
        pending = snapshot.dead_letters_pending
        rising = depth_rising(snapshot.dead_letter_depth)
        self.dead_letters_card.set_value(f"{pending:,}", alert=pending > 0)
        self.dead_letters_card.set_note(
            f"\u2191 rising over the last {DEPTH_TREND_SECONDS} s" if rising else ""
        )
        self.malformed_card.set_value(f"{snapshot.malformed:,}", alert=snapshot.malformed > 0)
        # Undecoded is not broken: kept until its schema can be had, counted apart.
        undecoded = self.context.runtime.undecoded.pending  # less those decoded since
        self.malformed_card.set_note(
            f"{undecoded:,} undecoded (schema not available yet)" if undecoded else ""
        )
        now = snapshot.now
        depth = snapshot.dead_letter_depth
        embedded = [(now - (len(depth) - 1 - i), v) for i, v in enumerate(depth)]
        samples = {"embedded bus": embedded}
        if self._kafka_depth is not None:
            samples.update(self._kafka_depth.snapshot())
        self.depth_chart.show_samples(samples)
        self._show_topics(snapshot)

    def _show_gauges(self) -> None:
        if self.range_seconds != LIVE_RANGE:
            return  # the history range draws the lag from the log
        has_lag = self._lag is not None and bool(self._lag.names())
        if not has_lag:
            self.lag_hint.setText(self._no_lag_sentence())
        self.lag_hint.setVisible(not has_lag)
        self.lag_stack.setVisible(has_lag)
        if has_lag and self._lag is not None:
            self.lag_chart.show_samples(self._lag.snapshot())

    def _show_topics(self, snapshot: StatsSnapshot) -> None:
        rows = sorted(snapshot.rates.items())
        table = self.topics_table
        if table.rowCount() != len(rows):
            table.setRowCount(len(rows))
        for row, (topic, per_second) in enumerate(rows):
            status = topic_status(per_second)
            rate = (complete_seconds(per_second) or [0.0])[-1]
            total = snapshot.totals_by_topic.get(topic, 0)
            values = (topic or "(no topic)", f"{rate:,.0f}/s", f"{total:,}", status)
            colour = {"quiet": theme.WARNING, "idle": theme.MUTED_TEXT}.get(status, theme.TEXT)
            for column, text in enumerate(values):
                item = table.item(row, column)
                if item is None:
                    item = QTableWidgetItem()
                    table.setItem(row, column, item)
                if item.text() != text:
                    item.setText(text)
                item.setForeground(QColor(colour))
            name_item = table.item(row, 0)
            if name_item is not None and name_item.data(Qt.ItemDataRole.UserRole) != topic:
                name_item.setData(Qt.ItemDataRole.UserRole, topic)  # the name, not the label
                name_item.setToolTip(
                    f"{topic}: click to see its events in the stream" if topic else ""
                )
            status_item = table.item(row, 3)
            if status_item is not None:
                status_item.setToolTip(
                    "No events for 10 s after traffic in the last minute"
                    if status == "quiet"
                    else ""
                )

    def _show_sources(self) -> None:
        kafka = self.context.kafka
        colour = {"connected": theme.LIVE, "reconnecting": theme.WARNING}.get(
            kafka.state, theme.MUTED_TEXT
        )
        name = kafka.profile.name if kafka.profile is not None else "Kafka"
        if len(name) > 24:  # a profile name can be 64 characters; whole in the tooltip
            name = name[:23] + "\u2026"
        self.sources.setText(
            f"<span style='color:{theme.LIVE}'>\u25cf</span> embedded bus &nbsp;&nbsp; "
            f"<span style='color:{colour}'>\u25cf</span> {name}: {kafka.state}"
        )
        whole = kafka.profile.name + ": " if kafka.profile is not None else ""
        self.sources.setToolTip(whole + kafka.sentence)

    def _topic_clicked(self, row: int, _column: int) -> None:
        item = self.topics_table.item(row, 0)
        topic = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if topic:  # events without a topic ("(no topic)") cannot be filtered by it
            self.topic_requested.emit(str(topic))

    @staticmethod
    def _make_topics_table() -> QTableWidget:
        table = QTableWidget(0, 4)
        table.setHorizontalHeaderLabels(["Topic", "Now", "Total", "Status"])
        set_up_table(
            table,
            selection=QAbstractItemView.SelectionMode.NoSelection,
            elide=Qt.TextElideMode.ElideMiddle,  # long topic names: both ends
            stretch_last=False,
            alternating=False,
        )
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.viewport().setCursor(Qt.CursorShape.PointingHandCursor)  # rows open the stream
        return table


def _short(name: str) -> str:
    """A series' name as a legend shows it: ``topic.orders.rate`` -> ``orders``."""
    for prefix, suffix in (("topic.", ".rate"), ("group.", ".lag"), ("dead_letters.", ".pending")):
        if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix + suffix):
            return name[len(prefix) : -len(suffix)]
    return "all dead letters" if name == "dead_letters.pending" else name


def _stacked(*charts: QWidget) -> QStackedWidget:
    stack = QStackedWidget()
    for chart in charts:
        stack.addWidget(chart)
    return stack


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


def _titled(title: str, body: QWidget) -> QWidget:
    pane = QWidget()
    layout = QVBoxLayout(pane)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(_caption(title))
    layout.addWidget(body, 1)
    return pane

"""The pipeline, seen from the UI: timers pull what is new and hand it on as signals.

This is the one place that polls the core. Views connect to the signals and never touch
the pipeline, so a faster source changes how big each batch is, never how often the
screen is redrawn.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from monitor.core.pipeline import IngestPipeline

EVENTS_HZ = 10.0  # the table: smooth enough to feel live, cheap enough at any rate
STATS_HZ = 4.0  # the chart and the big numbers: rates are per second anyway


class LiveFeed(QObject):
    """Polls ``pipeline.live`` and ``pipeline.stats`` on two timers."""

    # New events, oldest first, and how many went by too fast to be shown.
    events_arrived = Signal(object, int)
    # A StatsSnapshot over ``window`` seconds (plus the second in progress).
    stats_updated = Signal(object)

    def __init__(
        self,
        pipeline: IngestPipeline,
        *,
        window_seconds: int = 120,
        events_hz: float = EVENTS_HZ,
        stats_hz: float = STATS_HZ,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.pipeline = pipeline
        self.window_seconds = window_seconds
        self.missed = 0
        self._seq: int | None = None  # None: nothing read yet
        self._events_timer = QTimer(self)
        self._events_timer.setInterval(round(1000 / events_hz))
        self._events_timer.timeout.connect(self.poll_events)
        self._stats_timer = QTimer(self)
        self._stats_timer.setInterval(round(1000 / stats_hz))
        self._stats_timer.timeout.connect(self.poll_stats)

    def start(self) -> None:
        self._events_timer.start()
        self._stats_timer.start()
        self.poll_stats()  # draw the empty axes and zeros at once, not after a tick

    def stop(self) -> None:
        self._events_timer.stop()
        self._stats_timer.stop()

    def poll_events(self) -> None:
        first = self._seq is None
        events, self._seq, missed = self.pipeline.live.since(self._seq or 0)
        if first:
            missed = 0  # events from before the window opened were not "missed"
        self.missed += missed
        if events:
            self.events_arrived.emit(events, missed)

    def poll_stats(self) -> None:
        # One extra second: the chart drops the second still in progress.
        self.stats_updated.emit(self.pipeline.stats.snapshot(self.window_seconds + 1))

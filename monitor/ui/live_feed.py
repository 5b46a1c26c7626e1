"""The pipeline, seen from the UI: one clock pulls what is new and hands it on.

This is the one place that polls the core, and the one driver of periodic work in the
window. Views connect to the signals and never touch the pipeline, so a faster source
changes how big each batch is, never how often the screen is redrawn. A view with
periodic work of its own (re-reading its dead letters, redrawing the chain on screen)
asks for a :class:`Refresh` with :meth:`LiveFeed.every`: it runs on the same clock, is
started and stopped by the view (when it is shown or hidden), and ends with the view.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from monitor.core.pipeline import IngestPipeline

EVENTS_HZ = 25.0  # the table: smooth to the eye (20 frames/s and up), cheap enough at any rate
STATS_HZ = 4.0  # the chart and the big numbers: rates are per second anyway


class Refresh(QObject):
    """A periodic call on the feed's clock, owned by a view (deleted with it). Stopped
    until :meth:`start`; its interval is rounded up to the clock's tick."""

    def __init__(
        self, feed: LiveFeed, interval_ms: int, callback: Callable[[], None], owner: QObject
    ) -> None:
        super().__init__(owner)
        self._feed = feed
        self._interval = interval_ms
        self._callback = callback
        self._active = False
        self._due = 0.0
        feed._add(self)
        self.destroyed.connect(lambda *_: feed._forget(self))

    def start(self) -> None:
        self._active = True
        self._due = time.monotonic() + self._interval / 1000
        self._feed._clock_needed()

    def stop(self) -> None:
        self._active = False

    def isActive(self) -> bool:
        return self._active

    def interval(self) -> int:
        return self._interval

    def setInterval(self, ms: int) -> None:
        self._interval = ms

    def _run_if_due(self, now: float) -> None:
        if self._active and now >= self._due:
            self._due = now + self._interval / 1000
            self._callback()


class LiveFeed(QObject):
    """Polls ``pipeline.live`` and ``pipeline.stats`` on one clock, and runs the views'
    :class:`Refresh` calls on it."""

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
        self._polling = False
        self._refreshes: list[Refresh] = []
        self._clock = QTimer(self)
        self._clock.setInterval(round(1000 / events_hz))
        self._clock.timeout.connect(self._tick)
        self._stats_every = 1 / stats_hz
        self._stats_due = 0.0

    def start(self) -> None:
        self._polling = True
        self._clock.start()
        self.poll_stats()  # draw the empty axes and zeros at once, not after a tick

    def stop(self) -> None:
        self._polling = False
        self._clock.stop()

    def every(self, interval_ms: int, callback: Callable[[], None], owner: QObject) -> Refresh:
        """A :class:`Refresh` calling ``callback`` about every ``interval_ms`` while it is
        started; it ends when ``owner`` is deleted."""
        return Refresh(self, interval_ms, callback, owner)

    def _add(self, refresh: Refresh) -> None:
        self._refreshes.append(refresh)

    def _forget(self, refresh: Refresh) -> None:
        if refresh in self._refreshes:
            self._refreshes.remove(refresh)

    def _clock_needed(self) -> None:
        # A view's refresh runs even where nobody started the feed (a view on its own).
        if not self._clock.isActive():
            self._clock.start()

    def _tick(self) -> None:
        now = time.monotonic()
        if self._polling:
            self.poll_events()
            if now >= self._stats_due:
                self._stats_due = now + self._stats_every
                self.poll_stats()
        for refresh in list(self._refreshes):
            refresh._run_if_due(now)
        if not self._polling and not any(r.isActive() for r in self._refreshes):
            self._clock.stop()

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

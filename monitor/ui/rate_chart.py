"""Events per second per topic over the last two minutes, as one curve per topic.

Fed a :class:`~monitor.core.stats.StatsSnapshot` a few times a second; never per event.
The newest second is still filling up, so it is left out: plotting it would show every
topic dipping towards zero at the right edge on every redraw.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pyqtgraph as pg

from monitor.core.stats import StatsSnapshot
from monitor.ui import theme
from monitor.ui.live_chart import LiveChart

DEFAULT_WINDOW_SECONDS = 120
MIN_SPAN_SECONDS = 30.0
MAX_LEGEND_COLUMNS = 6
_FAILURE_WORDS = ("fail", "error", "dead", "dlq", "dlt", "reject", "declin")


def _nice_ceiling(value: float) -> float:
    """The next of 1, 1.5, 2, 3, 5, 7.5 times a power of ten at or above ``value``."""
    magnitude = 10.0 ** np.floor(np.log10(value))
    for step in (1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10.0 * magnitude)


def complete_seconds(values: list[float]) -> list[float]:
    """The per-second values without the second still in progress (the last one)."""
    return values[:-1]


class RateChart(LiveChart):
    """A pyqtgraph plot: x is "seconds ago" (now at the right), y is events/s."""

    def __init__(self, window_seconds: int = DEFAULT_WINDOW_SECONDS, parent: Any = None) -> None:
        # The legend: one row along the top, on a panel; the y range leaves headroom for
        # it (see _set_ranges), so it hides no data.
        super().__init__("events/s", legend_panel=True, parent=parent)
        self.window_seconds = window_seconds
        self.paused = False
        self._curves: dict[str, pg.PlotDataItem] = {}
        plot = self.getPlotItem()
        for name in ("bottom", "left"):
            # label major ticks only: 5, 10, 15 s, not each one
            plot.getAxis(name).setStyle(maxTextLevel=0)
        plot.disableAutoRange()  # ranges are set from the data below, once per update
        self._x_span = 0.0
        self._y_top = 0.0
        self._set_ranges(MIN_SPAN_SECONDS, 0.0)

    # -- feeding ------------------------------------------------------------------------

    def show_snapshot(self, snapshot: StatsSnapshot) -> None:
        """Redraw every topic's curve from ``snapshot`` (one ``setData`` per topic)."""
        if self.paused:
            return
        oldest_data = 0  # seconds ago of the oldest non-zero rate on any curve
        peak = 0.0
        for topic, per_second in snapshot.rates.items():
            values = complete_seconds(per_second)[-self.window_seconds :]
            if not values:
                continue
            y = np.asarray(values, dtype=float)
            x = np.arange(len(y), 0, -1, dtype=float)  # oldest first: n ... 1 seconds ago
            nonzero = np.flatnonzero(y)
            if nonzero.size:
                oldest_data = max(oldest_data, len(y) - int(nonzero[0]))
                peak = max(peak, float(y.max()))
                # Start one second before the topic's first event in the window: the
                # zeros before it would only stack every curve on the baseline.
                first = max(0, int(nonzero[0]) - 1)
                x, y = x[first:], y[first:]
            self._curve(topic).setData(x, y, skipFiniteCheck=True)
        # Just after start the data would be a sliver at the right edge of two minutes:
        # show at least MIN_SPAN_SECONDS and grow with the data up to the full window.
        span = min(float(self.window_seconds), max(MIN_SPAN_SECONDS, oldest_data + 2.0))
        self._set_ranges(span, peak)
        self._legend.setColumnCount(max(1, min(len(self._curves), MAX_LEGEND_COLUMNS)))

    def update(self, *args: Any) -> None:
        """``update(snapshot)`` feeds the chart; any other call is QWidget.update.

        The name is part of the UI's contract with its callers, and it shadows the Qt
        repaint request, so both meanings are kept.
        """
        if len(args) == 1 and isinstance(args[0], StatsSnapshot):
            self.show_snapshot(args[0])
        else:
            super().update(*args)

    # -- reading back (tests, smoke test) -----------------------------------------------

    def topics(self) -> list[str]:
        return list(self._curves)

    def curve_data(self, topic: str) -> tuple[np.ndarray, np.ndarray]:
        x, y = self._curves[topic].getData()
        empty = np.zeros(0)
        return (empty if x is None else x), (empty if y is None else y)

    def has_data(self) -> bool:
        """True once at least one curve shows a non-zero rate."""
        return any(bool(np.any(self.curve_data(t)[1] > 0)) for t in self._curves)

    # -- internals ----------------------------------------------------------------------

    def _set_ranges(self, span: float, peak: float) -> None:
        # Headroom above the peak keeps the legend row clear of the curves; a "nice" top
        # keeps the axis from twitching on every small change of the peak.
        top = _nice_ceiling(max(peak * 1.3, 5.0))
        if span != self._x_span:
            self._x_span = span
            self.getPlotItem().setXRange(0, span, padding=0)
        if top != self._y_top:
            self._y_top = top
            self.getPlotItem().setYRange(0, top, padding=0)

    def _curve(self, topic: str) -> pg.PlotDataItem:
        curve = self._curves.get(topic)
        if curve is None:
            colour = self._colour_for(topic)
            curve = self.getPlotItem().plot(
                name=topic or "(no topic)",
                pen=pg.mkPen(colour, width=2),
                antialias=False,  # straight segments at this density look the same, cheaper
            )
            self._curves[topic] = curve
        return curve

    def _colour_for(self, topic: str) -> str:
        taken = {c.opts["pen"].color().name() for c in self._curves.values()}
        return pick_colour(topic, taken)

    # -- pause and zoom -----------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        """Paused: the curves stay as they are and the mouse zooms and pans; resumed:
        back to the live window."""
        self.paused = paused
        self.getPlotItem().getViewBox().setMouseEnabled(x=paused, y=paused)
        if not paused:
            self._x_span = self._y_top = -1.0  # force the live ranges back on the next update


def pick_colour(name: str, taken: set[str]) -> str:
    """A colour picked from the series' name, so a topic keeps its colour from one run to
    the next; the next free one on a clash, so no two curves share a colour. Failure
    series (``payments.failed``, ``orders.dlq``) get red."""
    lowered = name.lower()
    failure = theme.FAILURE_SERIES_COLOUR
    if failure not in taken and any(word in lowered for word in _FAILURE_WORDS):
        return failure
    palette = theme.SERIES_COLOURS
    start = zlib.crc32(name.encode("utf-8")) % len(palette)
    for step in range(len(palette)):
        colour = palette[(start + step) % len(palette)]
        if colour not in taken:
            return colour
    return palette[start]  # more series than colours: reuse

"""Sampled series over time (dead-letter depth, consumer lag), one curve per series.

Fed ``{name: [(epoch seconds, value), ...]}`` a few times a second. The x axis is
"seconds ago" with now at the right, as in the rate chart, so the two read alike.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg

from monitor.ui.live_chart import LiveChart
from monitor.ui.rate_chart import pick_colour

Samples = dict[str, list[tuple[float, float]]]


class SeriesChart(LiveChart):
    def __init__(self, y_label: str, window_seconds: int = 600, parent: Any = None) -> None:
        super().__init__(y_label, parent=parent)
        self.window_seconds = window_seconds
        self.paused = False
        self._curves: dict[str, pg.PlotDataItem] = {}
        self.getPlotItem().setXRange(0, 60, padding=0)

    def show_samples(self, samples: Samples) -> None:
        """Redraw every series from ``samples`` (one ``setData`` per series)."""
        if self.paused:
            return
        now = time.time()
        oldest, peak = 0.0, 0.0
        for name, points in samples.items():
            recent = [(t, v) for t, v in points if now - t <= self.window_seconds]
            if not recent:
                continue
            x = np.fromiter((now - t for t, _ in recent), float, len(recent))
            y = np.fromiter((v for _, v in recent), float, len(recent))
            oldest = max(oldest, float(x.max()))
            peak = max(peak, float(y.max()))
            self._curve(name).setData(x, y, skipFiniteCheck=True)
        plot = self.getPlotItem()
        plot.setXRange(0, min(float(self.window_seconds), max(60.0, oldest + 5.0)), padding=0)
        plot.setYRange(0, max(5.0, peak * 1.25), padding=0)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.getPlotItem().getViewBox().setMouseEnabled(x=paused, y=paused)

    def names(self) -> list[str]:
        return list(self._curves)

    def latest(self, name: str) -> float | None:
        _, y = self._curves[name].getData()
        return None if y is None or not len(y) else float(y[-1])

    def _curve(self, name: str) -> pg.PlotDataItem:
        curve = self._curves.get(name)
        if curve is None:
            taken = {c.opts["pen"].color().name() for c in self._curves.values()}
            curve = self.getPlotItem().plot(
                name=name, pen=pg.mkPen(pick_colour(name, taken), width=2), antialias=False
            )
            self._curves[name] = curve
        return curve
